// The README's front-door example: one streamed answer through Switchyard with the official `openai`
// SDK. Needs a running router with a front-door key (README, "From the openai SDK"):
//   SWITCHYARD_KEY=sk-local-… node_modules/.bin/node examples/hello.mjs
import OpenAI from 'openai';

if (!process.env.SWITCHYARD_KEY) {
  console.error('set SWITCHYARD_KEY to a key the router knows (FRONTDOOR_API_KEYS holds its SHA-256)');
  process.exit(2);
}
const client = new OpenAI({ baseURL: process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:8080/v1', apiKey: process.env.SWITCHYARD_KEY });
const stream = await client.chat.completions.create({
  model: 'switchyard/auto', // or an arm id (GET /v1/models), or a request class
  messages: [{ role: 'user', content: 'Summarise Kafka in one line' }],
  stream: true,
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
process.stdout.write('\n');
