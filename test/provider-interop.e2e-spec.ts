import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '../apps/provider-sim/src';
import { publishRaw, request } from './support/kafka-io';
import { Stack } from './support/stack';

interface Response {
  id: string;
  status: string;
  output?: { text: string; finishReason: string };
  servedBy?: { arm: string };
  error?: { kind: string; message: string };
}

const PROXY_KEY = 'sk-proxy-KEY-7c1f0e9a55d2';
const PROXY_TOKEN = 'tok-SECRET-4b8e21d0c6f3';

/**
 * Provider wire interop against the strict simulator (each API's documented auth header, unknown
 * fields refused, only the configured key accepted): an Anthropic-compatible endpoint that takes
 * only `x-api-key`, parameters reaching it, JSON mode on an Anthropic arm, and a secret header that
 * never shows in health or the router's log.
 */
describe('provider interop with a strict provider', () => {
  const stack = new Stack({ prefix: 'interop', sim: { seed: 9, latencyScale: 0.02, apiKeys: [PROXY_KEY] } });
  const { topics } = stack;

  beforeAll(async () => {
    await stack.start();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-interop-'));
    const table = join(dir, 'routing.yaml');
    writeFileSync(
      table,
      [
        'providers:',
        '  claude-proxy:',
        '    kind: anthropic',
        `    baseUrl: ${stack.sim.url}/anthropic`,
        '    apiKeyEnv: PROXY_KEY',
        '    auth: x-api-key',
        '    headers: { x-proxy-token: "${PROXY_TOKEN}", x-team: search }',
        'arms:',
        '  - { id: claude-haiku, provider: claude-proxy, model: claude-haiku-4-5, pricing: { inputPer1M: 1, outputPer1M: 5 }, contextWindow: 200000, maxOutputTokens: 4096 }',
        'policy: { selector: static-chain }',
      ].join('\n') + '\n',
    );
    await stack.startRouter({ ROUTING_TABLE: table, PROXY_KEY, PROXY_TOKEN, LOG_LEVEL: 'debug' });
  });

  afterAll(() => stack.stop());

  async function ask(id: string, overrides: Parameters<typeof request>[1]): Promise<{ response: Response; calls: CallRecord[] }> {
    await publishRaw(stack.producer, topics.requests, [{ key: id, value: JSON.stringify(request(id, overrides)) }]);
    await stack.responses.waitFor((c) => c.byKey().has(id), 30_000, id);
    return { response: stack.responses.byKey().get(id)![0].json as unknown as Response, calls: stack.sim.calls().filter((c) => c.requestId === id) };
  }

  it('an Anthropic arm configured for x-api-key answers a server that accepts only x-api-key', async () => {
    const { response, calls } = await ask('auth-1', {});
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'claude-haiku' } });
    expect(calls).toEqual([expect.objectContaining({ status: 200, auth: 'x-api-key' })]);
  });

  it('temperature, top_p and stop reach the Anthropic endpoint', async () => {
    const withTemperature = await ask('params-1', { params: { temperature: 0.3, stop: ['\n\n'], maxTokens: 200 } });
    expect(withTemperature.response.status).toBe('ok');
    expect(withTemperature.calls).toEqual([expect.objectContaining({ status: 200, temperature: 0.3, topP: null, stop: ['\n\n'] })]);
    const withTopP = await ask('params-2', { params: { topP: 0.8 } });
    expect(withTopP.response.status).toBe('ok');
    expect(withTopP.calls).toEqual([expect.objectContaining({ status: 200, temperature: null, topP: 0.8 })]);
  });

  it('a json_object request served by the Anthropic arm is answered with valid JSON (forced tool use)', async () => {
    const { response, calls } = await ask('json-1', { params: { responseFormat: { type: 'json_object' }, maxTokens: 400 } });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'claude-haiku' } });
    expect(() => JSON.parse(response.output!.text) as unknown).not.toThrow();
    expect(JSON.parse(response.output!.text)).toEqual({ answer: expect.any(String) });
    expect(calls).toEqual([expect.objectContaining({ jsonMode: 'forced_tool' })]);
  });

  it('a streamed json_object request on the Anthropic arm is answered with valid JSON too', async () => {
    const { response, calls } = await ask('json-stream-1', { stream: true, params: { responseFormat: { type: 'json_object' }, maxTokens: 400 } });
    expect(response).toMatchObject({ status: 'ok', servedBy: { arm: 'claude-haiku' } });
    expect(JSON.parse(response.output!.text)).toEqual({ answer: expect.any(String) });
    expect(calls).toEqual([expect.objectContaining({ status: 200, jsonMode: 'forced_tool' })]);
  });

  it('the secret header and the key appear neither in /health/routing nor in the router log', async () => {
    const health = await (await fetch(`http://127.0.0.1:${stack.router.port}/health/routing`)).text();
    const providers = (JSON.parse(health) as { routingTable: { providers: unknown[] } }).routingTable.providers;
    expect(providers).toEqual([{ name: 'claude-proxy', kind: 'anthropic', baseUrl: `${stack.sim.url}/anthropic`, auth: 'x-api-key', headers: { 'x-proxy-token': '[redacted]', 'x-team': 'search' } }]);
    for (const secret of [PROXY_KEY, PROXY_TOKEN]) {
      expect(health).not.toContain(secret);
      expect(stack.router.output()).not.toContain(secret);
    }
  });
});
