import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { join } from 'node:path';
import { DEFAULT_CONFIG, normalizeConfig, readConfigFile, startProviderSim, type CallRecord, type ProviderSim, type SimConfigInput } from './index';
import { instantConfig, sleep } from './test-support';

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as unknown });

describe('provider-sim: control API, scenarios and recording', () => {
  let sim: ProviderSim;
  let openai: OpenAI;
  const ask = (opts: { headers?: Record<string, string> } = {}, model = 'gpt-4o') =>
    openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] }, opts);

  beforeAll(async () => {
    sim = await startProviderSim({ config: instantConfig() });
    openai = new OpenAI({ baseURL: sim.openaiBaseURL, apiKey: 'sk-test', maxRetries: 0 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it('health and config', async () => {
    const health = await json(await fetch(`${sim.url}/_sim/health`));
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', models: 4 } });
    const config = await json(await fetch(`${sim.url}/_sim/config`));
    expect(config.body).toMatchObject({ seed: 1, latencyScale: 1, callLogCapacity: 200_000 });
    expect((config.body as { models: unknown[] }).models).toHaveLength(4);
  });

  it('records calls with requestId / attempt and serves them with ?since=', async () => {
    await ask({ headers: { 'x-switchyard-request-id': 'req-1', 'x-switchyard-attempt': '1' } });
    sim.patchModel('gpt-4o', { faults: { rate429: 1 } });
    await ask({ headers: { 'x-switchyard-request-id': 'req-1', 'x-switchyard-attempt': '2' } }).catch(() => undefined);
    const all = (await json(await fetch(`${sim.url}/_sim/calls`))).body as CallRecord[];
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({ api: 'openai', model: 'gpt-4o', requestId: 'req-1', attempt: 1, outcome: 'ok', status: 200, inputTokens: 2, outputTokens: 50, finishReason: 'stop' });
    expect(all[1]).toMatchObject({ requestId: 'req-1', attempt: 2, outcome: '429', status: 429, fault: 'rate429' });
    expect(typeof all[0].latencyMs).toBe('number');
    const later = (await json(await fetch(`${sim.url}/_sim/calls?since=${all[0].seq}`))).body as CallRecord[];
    expect(later.map((c) => c.seq)).toEqual([all[1].seq]);
    const byId = (await json(await fetch(`${sim.url}/_sim/calls?requestId=nope`))).body as CallRecord[];
    expect(byId).toEqual([]);
    const del = await fetch(`${sim.url}/_sim/calls`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await json(await fetch(`${sim.url}/_sim/calls`))).body).toEqual([]);
    const stats = (await json(await fetch(`${sim.url}/_sim/stats`))).body;
    expect(stats).toMatchObject({ total: 2, byModel: { 'gpt-4o': { calls: 2, ok: 1, errors: 1 } }, inFlight: 0 });
  });

  it('PATCH /_sim/models/:name merges a patch; unknown model 404; invalid patch 400', async () => {
    const patch = await fetch(`${sim.url}/_sim/models/gpt-4o`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults: { outage: true } }),
    });
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as { models: { faults: { outage: unknown; rate429: unknown } }[] }).models[0].faults).toMatchObject({ outage: true, rate429: 0 });
    const err = await ask().catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    const unknown = await fetch(`${sim.url}/_sim/models/nope`, { method: 'PATCH', body: '{}' });
    expect(unknown.status).toBe(404);
    const invalid = await fetch(`${sim.url}/_sim/models/gpt-4o`, { method: 'PATCH', body: JSON.stringify({ faults: { rate429: 2 } }) });
    expect(invalid.status).toBe(400);
    // POST /_sim/reset restores the boot configuration.
    expect((await fetch(`${sim.url}/_sim/reset`, { method: 'POST' })).status).toBe(200);
    await expect(ask()).resolves.toBeDefined();
  });

  it('PUT /_sim/config replaces models (a model can be served on both APIs)', async () => {
    const config: SimConfigInput = {
      models: [
        { name: 'shared', api: 'openai', latency: { medianMs: 0, p95Ms: 0 } },
        { name: 'shared', api: 'anthropic', latency: { medianMs: 0, p95Ms: 0 } },
      ],
    };
    const put = await fetch(`${sim.url}/_sim/config`, { method: 'PUT', body: JSON.stringify(config) });
    expect(put.status).toBe(200);
    expect((await ask({}, 'shared')).model).toBe('shared');
    const anthropic = new Anthropic({ baseURL: sim.anthropicBaseURL, apiKey: 'sk-ant-test', maxRetries: 0, defaultHeaders: { 'x-api-key': 'sk-ant-test', authorization: null } });
    const m = await anthropic.messages.create({ model: 'shared', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] });
    expect(m.model).toBe('shared');
    await expect(ask()).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const bad = await fetch(`${sim.url}/_sim/config`, { method: 'PUT', body: JSON.stringify({ models: [{ name: 'x' }] }) });
    expect(bad.status).toBe(400);
  });

  it('a scripted phase switches behaviour at the given time', async () => {
    const config = instantConfig();
    config.phases = [
      { atMs: 250, model: 'gpt-4o', patch: { faults: { outage: 502 } } },
      { atMs: 500, model: 'gpt-4o', restore: true },
    ];
    sim.setConfig(config);
    await expect(ask()).resolves.toBeDefined();
    await sleep(300);
    const during = await ask().catch((e: unknown) => e);
    expect((during as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    await sleep(250);
    await expect(ask()).resolves.toBeDefined();
    expect(sim.calls().map((c) => c.outcome)).toEqual(['ok', '502', 'ok']);
  });

  it('the ring buffer keeps only the newest calls', async () => {
    const small = await startProviderSim({ config: instantConfig(), callLogCapacity: 3 });
    try {
      const client = new OpenAI({ baseURL: small.openaiBaseURL, apiKey: 'sk-test', maxRetries: 0 });
      for (let i = 0; i < 5; i++) await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `${i}` }] });
      expect(small.calls().map((c) => c.seq)).toEqual([3, 4, 5]);
      expect(small.calls(4).map((c) => c.seq)).toEqual([5]);
      expect(small.stats().total).toBe(5);
    } finally {
      await small.close();
    }
  });
});

describe('provider-sim: latency, seeds and concurrency', () => {
  const latencyConfig = (seed: number): SimConfigInput => ({
    seed,
    models: [{ name: 'gpt-4o', api: 'openai', latency: { medianMs: 4, p95Ms: 20 } }],
  });

  async function sampledLatencies(seed: number): Promise<(number | null)[]> {
    const sim = await startProviderSim({ config: latencyConfig(seed) });
    try {
      const client = new OpenAI({ baseURL: sim.openaiBaseURL, apiKey: 'sk-test', maxRetries: 0 });
      for (let i = 0; i < 8; i++) await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
      return sim.calls().map((c) => c.sampledLatencyMs);
    } finally {
      await sim.close();
    }
  }

  it('the same seed gives the same latencies; another seed does not', async () => {
    const a = await sampledLatencies(123);
    const b = await sampledLatencies(123);
    const c = await sampledLatencies(124);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('latencyScale 0 makes every call instant', async () => {
    const sim = await startProviderSim({ config: latencyConfig(1), latencyScale: 0 });
    try {
      const client = new OpenAI({ baseURL: sim.openaiBaseURL, apiKey: 'sk-test', maxRetries: 0 });
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
      expect(sim.calls()[0].sampledLatencyMs).toBe(0);
    } finally {
      await sim.close();
    }
  });

  it('peakInFlight counts 50 concurrent slow calls', async () => {
    const sim = await startProviderSim({
      config: { models: [{ name: 'slow', api: 'openai', latency: { medianMs: 300, p95Ms: 300 } }] },
    });
    try {
      const client = new OpenAI({ baseURL: sim.openaiBaseURL, apiKey: 'sk-test', maxRetries: 0 });
      const started = Date.now();
      const calls = Array.from({ length: 50 }, () => client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'x' }] }));
      await sleep(150);
      const mid = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as { inFlight: number };
      expect(mid.inFlight).toBe(50);
      await Promise.all(calls);
      expect(Date.now() - started).toBeLessThan(1_500);
      const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as { inFlight: number; peakInFlight: number; total: number };
      expect(stats).toMatchObject({ inFlight: 0, peakInFlight: 50, total: 50 });
      const reset = (await (await fetch(`${sim.url}/_sim/stats/reset-peak`, { method: 'POST' })).json()) as { peakInFlight: number };
      expect(reset.peakInFlight).toBe(0);
    } finally {
      await sim.close();
    }
  });
});

describe('provider-sim: config files', () => {
  it('config/sim/default.yaml matches the built-in defaults', () => {
    const file = readConfigFile(join(__dirname, '../../../config/sim/default.yaml'));
    expect(normalizeConfig(file)).toEqual(normalizeConfig(DEFAULT_CONFIG));
  });

  it('config/sim/flaky.yaml is valid', () => {
    const config = normalizeConfig(readConfigFile(join(__dirname, '../../../config/sim/flaky.yaml')));
    expect(config.phases.map((p) => p.atMs)).toEqual([10_000, 15_000, 20_000, 30_000]);
  });
});
