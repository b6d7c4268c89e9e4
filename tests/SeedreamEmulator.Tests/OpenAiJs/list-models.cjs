// Lists the models of an OpenAI-compatible base URL with the official OpenAI JS client (npm "openai").
// usage: node list-models.cjs <base-url> <api-key>   prints [{id, created, owned_by}, …] as JSON
const { OpenAI } = require('openai');

async function main() {
  const [baseURL, apiKey] = process.argv.slice(2);
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 20_000 });
  const models = [];
  for await (const model of client.models.list()) {
    models.push({ id: model.id, object: model.object, created: model.created, owned_by: model.owned_by });
  }
  process.stdout.write(JSON.stringify(models));
}

main().catch((error) => {
  process.stderr.write(`${error.status ?? ''} ${error.message}\n`);
  process.exit(1);
});
