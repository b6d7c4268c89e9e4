#!/usr/bin/env bash
# Local stack, no Azure account and no Seedream key: Azurite, the Seedream emulator, the Event Grid receiver and the
# function app (`func start` when Azure Functions Core Tools are installed, otherwise tools/DevHost).
#
#   ./run.sh           start everything, print the URLs, stream function logs and received events; Ctrl-C stops all
#   ./run.sh --smoke   start, submit the text-to-image example with a callback to the local receiver, wait for the
#                      result, its event and the callback (its signature verified by the receiver), stop; exit 0/1
#   --verbose          (with either) also the HTTP client's and retry library's lines and every API call; by default
#                      the function app prints one line per job step
#   ./run.sh drop FILE [--prompt TEXT] [--meta K=V]... [--cloudevents]   with the stack running: upload FILE to the
#                      inbox and enqueue its BlobCreated event as Event Grid would; prints the job and its outcome
#   ./run.sh batch [FILE]   start, submit FILE (examples/batch.jsonl by default) as a batch, print its progress
#                      (status and counts) until it ends, then its output and error lines; stop; exit 0/1
#   ./run.sh --help
#   --telemetry        (with either) the app's traces and metrics (OpenTelemetry) to the terminal and, as JSON lines,
#                      to $RUN_LOG_DIR/telemetry.jsonl
#
# Ports (environment): AZURITE_BLOB_PORT=10000 AZURITE_QUEUE_PORT=10001 AZURITE_TABLE_PORT=10002
#   SEEDREAM_EMULATOR_PORT=5080 EVENTGRID_RECEIVER_PORT=5090 FUNCTIONS_PORT=7071
# Other: RUN_CONFIGURATION=Debug (build configuration), RUN_NO_BUILD=1 (use existing builds),
#   AZURITE_LOCATION=.azurite (storage data), RUN_LOG_DIR=.local/run (service logs),
#   RUN_SMOKE_TIMEOUT=180 (seconds the smoke run waits for the generation),
#   SEEDREAM_EMULATOR_IMAGE_DELAY=00:00:01 (how long the emulator takes per image).
# The real Seedream API instead of the emulator: SEEDREAM_BASE_URL=https://…/v1 (or …/api/v3) SEEDREAM_API_KEY=…
#   (billed; result downloads are then limited to public https addresses, as in Azure).
# App settings come from local.settings.json; the addresses above are passed as environment variables, which
# override it (for Core Tools and the development host alike).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

AZURITE_BLOB_PORT=${AZURITE_BLOB_PORT:-10000}
AZURITE_QUEUE_PORT=${AZURITE_QUEUE_PORT:-10001}
AZURITE_TABLE_PORT=${AZURITE_TABLE_PORT:-10002}
SEEDREAM_EMULATOR_PORT=${SEEDREAM_EMULATOR_PORT:-5080}
EVENTGRID_RECEIVER_PORT=${EVENTGRID_RECEIVER_PORT:-5090}
FUNCTIONS_PORT=${FUNCTIONS_PORT:-7071}
RUN_CONFIGURATION=${RUN_CONFIGURATION:-Debug}
RUN_SMOKE_TIMEOUT=${RUN_SMOKE_TIMEOUT:-180}
SEEDREAM_EMULATOR_IMAGE_DELAY=${SEEDREAM_EMULATOR_IMAGE_DELAY:-00:00:01}

SEEDREAM_KEY=local-seedream-key
SEEDREAM_BASE_URL=${SEEDREAM_BASE_URL:-}
if [[ -n $SEEDREAM_BASE_URL && -z ${SEEDREAM_API_KEY:-} ]]; then
  printf 'run.sh: SEEDREAM_BASE_URL is set but SEEDREAM_API_KEY is not.\n' >&2
  exit 1
fi
EVENTGRID_KEY=local-eventgrid-key
AZURITE_ACCOUNT_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
API_URL="http://127.0.0.1:$FUNCTIONS_PORT/api"
EVENTS_URL="http://127.0.0.1:$EVENTGRID_RECEIVER_PORT/api/events"
# Job callbacks (a submission's webhook.url) go to the same receiver, which verifies their signatures.
WEBHOOKS_URL="http://127.0.0.1:$EVENTGRID_RECEIVER_PORT/webhooks"
LOG_DIR=${RUN_LOG_DIR:-$ROOT/.local/run}
AZURITE_LOCATION=${AZURITE_LOCATION:-$ROOT/.azurite}
EXAMPLES_DIR=$ROOT/examples

STARTED_GROUPS=()   # process-group ids of everything this script started, in start order

say() { printf 'run.sh: %s\n' "$*"; }
fail() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------------
# Progress: every setup step says what it does, shows it is alive while it runs (elapsed seconds in place on a
# terminal, a line every PROGRESS_EVERY seconds otherwise) and how long it took.

PROGRESS_EVERY=${RUN_PROGRESS_EVERY:-5}
if [[ -t 1 ]]; then PROGRESS_TTY=1; else PROGRESS_TTY=0; fi
STEP_LABEL='' STEP_STARTED=0 STEP_NEXT_REPORT=0

# Microseconds since the epoch: bash 5's EPOCHREALTIME without its separator ("." or "," by locale); whole seconds
# on older shells.
now_us() {
  local t=${EPOCHREALTIME:-}
  if [[ -n $t ]]; then t=${t/./}; printf '%s' "${t/,/}"; else printf '%s000000' "$(date +%s)"; fi
}
RUN_STARTED=$(now_us)

# seconds_since START_US: elapsed seconds with one decimal.
seconds_since() {
  local tenths=$((($(now_us) - $1) / 100000))
  printf '%d.%d' $((tenths / 10)) $((tenths % 10))
}

step_begin() {
  STEP_LABEL=$1 STEP_STARTED=$(now_us) STEP_NEXT_REPORT=$((SECONDS + PROGRESS_EVERY))
  if ((PROGRESS_TTY)); then printf 'run.sh: %s...' "$STEP_LABEL"; else say "$STEP_LABEL..."; fi
}

# Called while a step waits: on a terminal the elapsed seconds replace themselves; otherwise one line every few seconds.
step_tick() {
  if ((PROGRESS_TTY)); then
    printf '\r\033[Krun.sh: %s... %ss' "$STEP_LABEL" "$(seconds_since "$STEP_STARTED" | cut -d. -f1)"
  elif ((SECONDS >= STEP_NEXT_REPORT)); then
    say "$STEP_LABEL... still working ($(seconds_since "$STEP_STARTED" | cut -d. -f1) s)"
    STEP_NEXT_REPORT=$((SECONDS + PROGRESS_EVERY))
  fi
}

step_end() {
  local took
  took=$(seconds_since "$STEP_STARTED")
  if ((PROGRESS_TTY)); then printf '\r\033[Krun.sh: %s: done in %s s\n' "$STEP_LABEL" "$took"; else say "$STEP_LABEL: done in $took s"; fi
  STEP_LABEL=''
}

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# ---------------------------------------------------------------------------------------------------------------
# Process management: every service runs in its own process group, so stopping it also stops its children
# (func's worker, node). Ctrl-C and any exit stop everything that was started.

stop_all() {
  local status=$? i pgid
  trap - EXIT INT TERM
  # One at a time, newest first: the function app finishes its in-flight work while storage is still up.
  for ((i = ${#STARTED_GROUPS[@]} - 1; i >= 0; i--)); do
    pgid=${STARTED_GROUPS[i]}
    kill -TERM -- "-$pgid" 2>/dev/null || continue
    for _ in $(seq 1 150); do
      kill -0 -- "-$pgid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prefix that runs a command as the leader of a new process group (its pid is the group id).
if command -v setsid >/dev/null; then
  NEW_GROUP=(setsid)
else
  NEW_GROUP=(perl -e 'setpgrp(0, 0); exec @ARGV or die "$ARGV[0]: $!\n"' --)
fi

# start NAME LOG_MODE COMMAND...: LOG_MODE is "console" (prefixed lines on stdout, copied to the log) or "file".
start() {
  local name=$1 mode=$2
  shift 2
  local log=$LOG_DIR/$name.log
  : >"$log"
  if [[ $mode == console ]]; then
    # On a terminal each line first clears the progress line it may interrupt.
    local clear=''
    ((PROGRESS_TTY)) && clear=$'\r\033[K'
    "${NEW_GROUP[@]}" "$@" > >(while IFS= read -r line; do printf '%s[%s] %s\n' "$clear" "$name" "$line"; printf '%s\n' "$line" >>"$log"; done) 2>&1 &
  else
    "${NEW_GROUP[@]}" "$@" >"$log" 2>&1 &
  fi
  STARTED_GROUPS+=("$!")
  LAST_PID=$!
}

port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_port() {
  local port=$1 variable=$2 service=$3
  [[ $port =~ ^[0-9]+$ ]] || fail "$variable='$port' is not a port number."
  if port_answers "$port"; then
    fail "port $port ($service) is already in use; stop what holds it or set $variable to a free port."
  fi
}

# wait_until NAME PID TIMEOUT_SECONDS CHECK...: polls CHECK until it succeeds; fails if the process dies first.
wait_until() {
  local name=$1 pid=$2 timeout=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      ((PROGRESS_TTY)) && [[ -n $STEP_LABEL ]] && printf '\n'
      tail -n 20 "$LOG_DIR/$name.log" >&2 || true
      fail "$name exited during startup (log: $LOG_DIR/$name.log)."
    fi
    ((SECONDS < deadline)) || fail "$name did not answer within $timeout s (log: $LOG_DIR/$name.log)."
    [[ -n $STEP_LABEL ]] && step_tick
    sleep 0.2
  done
}

http_answers() { curl -s -o /dev/null --max-time 2 "$1"; }

# ---------------------------------------------------------------------------------------------------------------
# Setup and services

check_ports() {
  require_free_port "$AZURITE_BLOB_PORT" AZURITE_BLOB_PORT "Azurite blob"
  require_free_port "$AZURITE_QUEUE_PORT" AZURITE_QUEUE_PORT "Azurite queue"
  require_free_port "$AZURITE_TABLE_PORT" AZURITE_TABLE_PORT "Azurite table"
  [[ -n $SEEDREAM_BASE_URL ]] || require_free_port "$SEEDREAM_EMULATOR_PORT" SEEDREAM_EMULATOR_PORT "Seedream emulator"
  require_free_port "$EVENTGRID_RECEIVER_PORT" EVENTGRID_RECEIVER_PORT "Event Grid receiver"
  require_free_port "$FUNCTIONS_PORT" FUNCTIONS_PORT "function app"
}

use_core_tools() { command -v func >/dev/null; }

install_and_build() {
  command -v dotnet >/dev/null || fail "the .NET SDK is required (https://dot.net); see global.json for the version."
  command -v node >/dev/null && command -v npm >/dev/null || fail "Node.js and npm are required for Azurite."
  command -v curl >/dev/null || fail "curl is required."
  # npm ci waits on the network and the builds on the CPU, and the three builds share no project: all run at once.
  PARALLEL_NAMES=() PARALLEL_LOGS=() PARALLEL_PIDS=()
  if [[ ! -x node_modules/.bin/azurite ]]; then
    parallel_launch "Azurite (npm ci, once)" "$LOG_DIR/npm-ci.log" npm ci --no-audit --no-fund --loglevel=error
  fi
  if [[ ${RUN_NO_BUILD:-} != 1 ]]; then
    local projects=(tools/SeedreamEmulator tools/EventGridReceiver) project
    if use_core_tools; then projects+=(src/Functions); else projects+=(tools/DevHost); fi
    for project in "${projects[@]}"; do
      parallel_launch "$project ($RUN_CONFIGURATION build)" "$LOG_DIR/build-${project##*/}.log" \
        dotnet build "$project" -c "$RUN_CONFIGURATION" --nologo -v quiet -clp:ErrorsOnly
    done
  fi
  ((${#PARALLEL_PIDS[@]} == 0)) || parallel_wait "installing and building (${#PARALLEL_PIDS[@]} at once)"
}

# parallel_launch NAME LOG COMMAND...: starts COMMAND in the background with its output in LOG.
parallel_launch() {
  local name=$1 log=$2
  shift 2
  "$@" >"$log" 2>&1 &
  PARALLEL_PIDS+=("$!") PARALLEL_NAMES+=("$name") PARALLEL_LOGS+=("$log")
}

# parallel_wait LABEL: one step for everything launched; says when each part is done and how long it took, and stops
# at the first failure with its log.
parallel_wait() {
  local i status pending=${#PARALLEL_PIDS[@]} finished=()
  step_begin "$1"
  while ((pending > 0)); do
    for i in "${!PARALLEL_PIDS[@]}"; do
      [[ -n ${finished[i]:-} ]] && continue
      kill -0 "${PARALLEL_PIDS[i]}" 2>/dev/null && continue
      status=0
      wait "${PARALLEL_PIDS[i]}" || status=$?
      finished[i]=1
      pending=$((pending - 1))
      ((PROGRESS_TTY)) && printf '\r\033[K'
      if ((status != 0)); then
        kill "${PARALLEL_PIDS[@]}" 2>/dev/null || true
        cat "${PARALLEL_LOGS[i]}" >&2
        fail "${PARALLEL_NAMES[i]} failed (exit $status; log: ${PARALLEL_LOGS[i]})."
      fi
      say "  ${PARALLEL_NAMES[i]}: done after $(seconds_since "$STEP_STARTED") s"
    done
    ((pending > 0)) || break
    step_tick
    sleep 0.5
  done
  step_end
}

output_of() { printf '%s/bin/%s/net10.0/%s' "$1" "$RUN_CONFIGURATION" "$2"; }

start_azurite() {
  mkdir -p "$AZURITE_LOCATION"
  start azurite file node_modules/.bin/azurite --silent --skipApiVersionCheck --disableTelemetry --location "$AZURITE_LOCATION" \
    --blobHost 127.0.0.1 --blobPort "$AZURITE_BLOB_PORT" \
    --queueHost 127.0.0.1 --queuePort "$AZURITE_QUEUE_PORT" \
    --tableHost 127.0.0.1 --tablePort "$AZURITE_TABLE_PORT"
  local pid=$LAST_PID port
  for port in "$AZURITE_BLOB_PORT" "$AZURITE_QUEUE_PORT" "$AZURITE_TABLE_PORT"; do
    wait_until azurite "$pid" 60 port_answers "$port"
  done
}

start_emulator() {
  start seedream-emulator file env Emulator__ApiKey="$SEEDREAM_KEY" Emulator__ImageDelay="$SEEDREAM_EMULATOR_IMAGE_DELAY" Emulator__ExternalReferences=Substitute \
    dotnet "$(output_of tools/SeedreamEmulator SeedreamEmulator.dll)" --urls "http://127.0.0.1:$SEEDREAM_EMULATOR_PORT"
  wait_until seedream-emulator "$LAST_PID" 60 http_answers "http://127.0.0.1:$SEEDREAM_EMULATOR_PORT/"
}

# The secret the app signs callbacks with (local.settings.json), so that the receiver verifies with the same one.
local_signing_secret() {
  node -e 'const v=JSON.parse(require("fs").readFileSync("local.settings.json","utf8")).Values??{};process.stdout.write(v.Webhooks__SigningSecrets__0??"")'
}

start_receiver() {
  local mode=$1
  start events "$mode" env Receiver__Key="$EVENTGRID_KEY" Receiver__WebhookSecret="$(local_signing_secret)" \
    dotnet "$(output_of tools/EventGridReceiver EventGridReceiver.dll)" --urls "http://127.0.0.1:$EVENTGRID_RECEIVER_PORT"
  wait_until events "$LAST_PID" 60 http_answers "$EVENTS_URL"
}

start_function_app() {
  local mode=$1 storage
  storage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_ACCOUNT_KEY"
  storage+=";BlobEndpoint=http://127.0.0.1:$AZURITE_BLOB_PORT/devstoreaccount1"
  storage+=";QueueEndpoint=http://127.0.0.1:$AZURITE_QUEUE_PORT/devstoreaccount1"
  storage+=";TableEndpoint=http://127.0.0.1:$AZURITE_TABLE_PORT/devstoreaccount1"
  # A local run is a Development environment under either host.
  local settings=(
    AzureWebJobsStorage="$storage"
    EventGrid__TopicEndpoint="$EVENTS_URL"
    # Callbacks to the local receiver on loopback (over http) are admitted; in Azure only public https hosts are.
    Intake__AllowLoopbackReferences=true
    AZURE_FUNCTIONS_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development DOTNET_ENVIRONMENT=Development
  )
  if ((VERBOSE)); then
    # Every category host.json quiets to Warning is raised to Information, through the override both hosts honour.
    local category
    while IFS= read -r category; do
      settings+=("AzureFunctionsJobHost__logging__logLevel__$category=Information")
    done < <(node -e 'const l=JSON.parse(require("fs").readFileSync("host.json","utf8")).logging?.logLevel??{};for(const[k,v]of Object.entries(l))if(String(v).toLowerCase()==="warning")console.log(k)')
  fi
  if [[ -n $SEEDREAM_BASE_URL ]]; then
    settings+=(
      Seedream__BaseUrls__0="$SEEDREAM_BASE_URL"
      Seedream__ApiKey="$SEEDREAM_API_KEY"
      Seedream__Downloads__AllowPrivateNetworks=false
      Seedream__Downloads__AllowHttp=false
    )
  else
    settings+=(Seedream__BaseUrls__0="http://127.0.0.1:$SEEDREAM_EMULATOR_PORT/v1")
  fi
  if use_core_tools; then
    # Core Tools runs the built output (host.json, local.settings.json and the worker are copied there).
    start app "$mode" env "${settings[@]}" bash -c 'cd "$1" && exec func start --port "$2"' func-start \
      "src/Functions/bin/$RUN_CONFIGURATION/net10.0" "$FUNCTIONS_PORT"
  else
    start app "$mode" env "${settings[@]}" \
      dotnet "$(output_of tools/DevHost Seedream.DevHost.dll)" --urls "http://127.0.0.1:$FUNCTIONS_PORT"
  fi
  wait_until app "$LAST_PID" 120 http_answers "$API_URL/"
}

start_stack() {
  local mode=$1
  check_ports
  mkdir -p "$LOG_DIR"
  install_and_build
  step_begin "starting Azurite (127.0.0.1:$AZURITE_BLOB_PORT-$AZURITE_TABLE_PORT, data in ${AZURITE_LOCATION#"$ROOT"/}/)"
  start_azurite
  step_end
  if [[ -n $SEEDREAM_BASE_URL ]]; then
    say "using the Seedream API at $SEEDREAM_BASE_URL (no emulator; generations are billed)"
  else
    step_begin "starting the Seedream emulator (127.0.0.1:$SEEDREAM_EMULATOR_PORT)"
    start_emulator
    step_end
  fi
  step_begin "starting the Event Grid receiver (127.0.0.1:$EVENTGRID_RECEIVER_PORT)"
  start_receiver "$mode"
  step_end
  if use_core_tools; then step_begin "starting the function app with Core Tools (func start)"; else step_begin "starting the function app with tools/DevHost (Core Tools not installed)"; fi
  start_function_app "$mode"
  step_end
  say "setup took $(seconds_since "$RUN_STARTED") s in all"
}

# The provider's text-to-image example (examples/, the same file the tests send), as curl's @file argument.
example_body_argument() {
  printf '@%s' "$EXAMPLES_DIR/text-to-image.json"
}

print_ready() {
  cat <<EOF

Ready. Logs: $LOG_DIR/
  API base URL   $API_URL
  Submit         curl -s -X POST $API_URL/generations -H 'Content-Type: application/json' --data-binary '$(example_body_argument)'
  Status         $API_URL/generations/{id}
  View page      $API_URL/generations/{id}/view
  Recent jobs    $API_URL/view/generations
  Batch          curl -s -X POST $API_URL/batches --data-binary @$EXAMPLES_DIR/batch.jsonl   (then $API_URL/batches/{id}/view)
  Events         curl -s $EVENTS_URL   (DELETE clears; ?type= filters)
  Callbacks      add "webhook": {"url": "$WEBHOOKS_URL/local"} to a submission; curl -s $WEBHOOKS_URL lists deliveries (verified or not)
  Seedream       ${SEEDREAM_BASE_URL:-http://127.0.0.1:$SEEDREAM_EMULATOR_PORT/v1 (emulator, key $SEEDREAM_KEY)}
  Requests       requests.http (VS Code REST Client / Rider)
Ctrl-C stops everything.

EOF
}

# ---------------------------------------------------------------------------------------------------------------
# Sub-commands

run_interactive() {
  start_stack console
  print_ready
  while true; do
    for pgid in "${STARTED_GROUPS[@]}"; do
      kill -0 "$pgid" 2>/dev/null || fail "a service (process $pgid) stopped; see $LOG_DIR/."
    done
    # A background sleep keeps Ctrl-C responsive: `wait` returns as soon as the trap fires.
    sleep 1 &
    wait $! || true
  done
}

json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];process.stdout.write(v===undefined||v===null?"":String(v))})' "$1"; }

run_smoke() {
  start_stack file
  say "stack is up; submitting the text-to-image example with a callback to $WEBHOOKS_URL/smoke"
  local body response id status_url status result events callback
  # The example as is, plus the pipeline's own webhook field.
  body=$(node -e 'const b=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));b.webhook={url:process.argv[2]};process.stdout.write(JSON.stringify(b))' \
    "$EXAMPLES_DIR/text-to-image.json" "$WEBHOOKS_URL/smoke")
  response=$(curl -s -X POST "$API_URL/generations" -H 'Content-Type: application/json' --data-binary "$body" -w '\n%{http_code}')
  [[ ${response##*$'\n'} == 202 ]] || fail "submission was not accepted: ${response//$'\n'/ }"
  response=${response%$'\n'*}
  id=$(json_field id <<<"$response")
  status_url=$(json_field statusUrl <<<"$response")
  [[ -n $id && -n $status_url ]] || fail "the submission response has no id/statusUrl: $response"
  say "accepted $id; polling $status_url"

  local deadline=$((SECONDS + RUN_SMOKE_TIMEOUT))
  while true; do
    result=$(curl -s "$status_url")
    status=$(json_field status <<<"$result" 2>/dev/null || true)
    case $status in
      succeeded | partially_succeeded | failed) break ;;
    esac
    ((SECONDS < deadline)) || fail "generation $id did not finish within $RUN_SMOKE_TIMEOUT s (last: $result)."
    sleep 0.5
  done
  printf '\nResult:\n%s\n' "$result"

  # The completion event may trail the status update by a moment.
  deadline=$((SECONDS + 30))
  until events=$(curl -s "$EVENTS_URL" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s).filter(e=>JSON.stringify(e).includes(process.argv[1]));if(!m.length)process.exit(1);console.log(JSON.stringify(m,null,2))})' "$id"); do
    ((SECONDS < deadline)) || fail "no event mentioning $id reached the receiver (events: $(curl -s "$EVENTS_URL"))."
    sleep 0.5
  done
  printf '\nEvents:\n%s\n' "$events"

  # The callback: the same CloudEvent, delivered from its own queue and verified by the receiver (NuGet StandardWebhooks).
  deadline=$((SECONDS + 30))
  until callback=$(curl -s "$WEBHOOKS_URL" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s).filter(w=>w.body.includes(process.argv[1]));if(!m.length)process.exit(1);console.log(JSON.stringify(m.map(({body,...w})=>w),null,2));if(!m.every(w=>w.verified))process.exit(2)})' "$id"); do
    ((SECONDS < deadline)) || fail "no verified callback for $id reached $WEBHOOKS_URL/smoke (deliveries: $(curl -s "$WEBHOOKS_URL"))."
    sleep 0.5
  done
  printf '\nCallback:\n%s\n' "$callback"

  [[ $status == succeeded ]] || fail "smoke run finished with status '$status'."
  say "smoke run succeeded"
}

# A batch end to end: submit, one progress line per change (status and counts), then the results files' lines.
run_batch() {
  local file=${1:-$EXAMPLES_DIR/batch.jsonl}
  # The script moved to the repository root; a relative FILE means what the caller typed (OLDPWD, as for drop).
  [[ $file == /* ]] || file=$OLDPWD/$file
  [[ -f $file ]] || fail "no batch file '$file'."
  start_stack file
  say "stack is up; submitting $file as a batch"
  local response id status_url result status progress last=""
  response=$(curl -s -X POST "$API_URL/batches" -H 'Content-Type: application/jsonl' --data-binary "@$file" -w '\n%{http_code}')
  [[ ${response##*$'\n'} == 202 ]] || fail "the batch was not accepted: ${response//$'\n'/ }"
  response=${response%$'\n'*}
  id=$(json_field id <<<"$response")
  status_url=$(json_field statusUrl <<<"$response")
  say "accepted $id; view page $API_URL/batches/$id/view"
  local deadline=$((SECONDS + RUN_SMOKE_TIMEOUT))
  while true; do
    result=$(curl -s "$status_url")
    status=$(json_field status <<<"$result" 2>/dev/null || true)
    progress=$(node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const b=JSON.parse(s),c=b.requestCounts;console.log(`${b.status}: ${c.total} lines${b.inputRead?"":" read so far"}, ${c.queued} queued, ${c.running} running, ${c.succeeded} succeeded, ${c.failed} failed (${c.invalid} invalid lines), ${c.cancelled} cancelled, ${c.expired} expired`)})' <<<"$result")
    [[ $progress == "$last" ]] || say "$progress"
    last=$progress
    case $status in
      completed | failed | cancelled | expired) break ;;
    esac
    ((SECONDS < deadline)) || fail "batch $id did not end within $RUN_SMOKE_TIMEOUT s (last: $result)."
    sleep 0.5
  done
  local file_url
  for kind in outputFile errorFile; do
    file_url=$(node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const f=JSON.parse(s)[process.argv[1]];process.stdout.write(f?f.url:"")})' "$kind" <<<"$result")
    [[ -z $file_url ]] || printf '\n%s:\n%s\n' "$kind" "$(curl -s "$file_url")"
  done
  [[ $status == completed ]] || fail "batch finished with status '$status'."
  say "batch completed"
}

# The drop tool reaches the running stack's Azurite through the port variables. It runs from the caller's directory
# (OLDPWD: the script moved to the repository root above), so a relative FILE means what the caller typed.
run_drop() {
  export AZURITE_BLOB_PORT AZURITE_QUEUE_PORT
  cd "$OLDPWD"
  if [[ ${RUN_NO_BUILD:-} == 1 ]]; then
    local tool
    tool=$ROOT/$(output_of tools/DropTool Seedream.DropTool.dll)
    [[ -f $tool ]] || fail "RUN_NO_BUILD=1 but $tool is missing; build tools/DropTool ($RUN_CONFIGURATION) first."
    exec dotnet "$tool" "$@"
  fi
  exec dotnet run --project "$ROOT/tools/DropTool" -c "$RUN_CONFIGURATION" -v quiet -- "$@"
}

# Sub-commands are functions; a new one gets an arm here and its own function above. --verbose and --telemetry may
# come anywhere (except after `drop`, whose arguments are the drop tool's).
VERBOSE=0
if [[ ${1:-} != drop ]]; then
  arguments=()
  for argument in "$@"; do
    case $argument in
      --verbose) VERBOSE=1 ;;
      --telemetry) export Telemetry__Console=true Telemetry__File=$LOG_DIR/telemetry.jsonl ;;
      *) arguments+=("$argument") ;;
    esac
  done
  set -- ${arguments[@]+"${arguments[@]}"}
fi
case ${1:-} in
  '') run_interactive ;;
  --smoke | smoke) run_smoke ;;
  drop) shift; run_drop "$@" ;;
  batch) shift; run_batch "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; fail "unknown argument '$1'." ;;
esac
