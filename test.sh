#!/usr/bin/env bash
# Runs every test: installs what the tests need (Azurite from npm, Chromium from apt, the Bicep compiler from NuGet via restore),
# builds the solution and runs all test projects. Usage: ./test.sh [extra dotnet test args]
set -euo pipefail
cd "$(dirname "$0")"

if [[ ! -x node_modules/.bin/azurite || ! -d node_modules/openai ]]; then
  echo "Installing Azurite and the OpenAI JS client (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
fi

# The browser tests (tests/EndToEnd.Tests/BrowserViewTests) drive Debian's Chromium through Playwright.
if ! command -v chromium >/dev/null; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..."
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

dotnet restore Functions.sln --nologo -v quiet
dotnet build Functions.sln --no-restore --nologo -c Release -v quiet -clp:ErrorsOnly
# The client packages, for tests/Seedream.Package.Tests (installs them into a fresh project).
for project in src/Seedream src/Seedream.Extensions.AI; do
  dotnet pack "$project" --no-build --nologo -c Release -v quiet -o artifacts/packages
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Functions.sln --no-build --nologo -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run, summed over the test projects.
awk '/(Passed|Failed|Skipped)! +- +Failed: +[0-9]+, +Passed: +[0-9]+/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
