import OpenAI from 'openai';
import { startProviderSim, type ProviderSim } from './index';
import { eventually, instantConfig } from './test-support';

describe('provider-sim: OpenAI chat completions through the official SDK', () => {
  let sim: ProviderSim;
  let client: OpenAI;
  const ask = (content: string, extra: Record<string, unknown> = {}, model = 'gpt-4o') =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content }], ...extra });

  beforeAll(async () => {
    sim = await startProviderSim({ config: instantConfig() });
    client = new OpenAI({ baseURL: sim.openaiBaseURL, apiKey: 'sk-test', maxRetries: 0 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it('answers with the real response shape, usage and deterministic text', async () => {
    const prompt = 'x'.repeat(400);
    const a = await ask(prompt);
    expect(a).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
    });
    expect(a.id).toMatch(/^chatcmpl-/);
    expect(typeof a.created).toBe('number');
    expect(a.choices[0].message.content!.split(' ')).toHaveLength(50);
    const b = await ask(prompt);
    expect(b.choices[0].message.content).toBe(a.choices[0].message.content);
    const c = await ask(prompt, {}, 'llama-3.1-8b');
    expect(c.choices[0].message.content).not.toBe(a.choices[0].message.content);
  });

  it('accepts content-part arrays and stop sequences', async () => {
    const base = await ask('stop test');
    const words = base.choices[0].message.content!.split(' ');
    const stop = ` ${words[10]} ${words[11]}`;
    const r = await ask('stop test', { stop: [stop] });
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(base.choices[0].message.content!.startsWith(r.choices[0].message.content!)).toBe(true);
    expect(r.usage!.completion_tokens).toBeLessThanOrEqual(10);
    const parts = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'abcdefgh' }] }],
    });
    expect(parts.usage!.prompt_tokens).toBe(2);
  });

  it('answers a scripted prompt at the length it asks for, ending on its own unless max_tokens cuts it', async () => {
    const asked = await ask('Request 7 [answer: 23 tokens]: summarise.', { max_tokens: 200 });
    expect(asked.choices[0].finish_reason).toBe('stop');
    expect(asked.usage!.completion_tokens).toBe(23);
    const exact = await ask('Request 7 [answer: 23 tokens]: summarise.', { max_tokens: 23 });
    expect(exact.choices[0].finish_reason).toBe('stop');
    const cut = await ask('Request 7 [answer: 23 tokens]: summarise.', { max_tokens: 10 });
    expect(cut.choices[0].finish_reason).toBe('length');
    expect(cut.usage!.completion_tokens).toBe(10);
  });

  it('lists the configured OpenAI models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual(['gpt-4o', 'llama-3.1-8b']);
  });

  it('429 surfaces as RateLimitError with retry-after and x-ratelimit headers', async () => {
    sim.patchModel('gpt-4o', { faults: { rate429: true, retryAfterS: 3 } });
    const err = await ask('hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.headers.get('retry-after')).toBe('3');
    expect(e.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(e.requestID).toMatch(/^req_/);
  });

  it('context overflow returns OpenAI\'s exact error body', async () => {
    const res = await fetch(`${sim.openaiBaseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'a'.repeat(130_000 * 4) }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    });
    const err = await ask('a'.repeat(9_000 * 4), {}, 'llama-3.1-8b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
  });

  it('content policy: 200 with finish_reason content_filter, or a 400 content_policy_violation', async () => {
    sim.patchModel('gpt-4o', { faults: { contentPolicy: 1 } });
    const r = await ask('something');
    expect(r.choices[0].finish_reason).toBe('content_filter');
    sim.patchModel('gpt-4o', { faults: { contentPolicyMode: 'error' } });
    const err = await ask('something').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('content_policy_violation');
  });

  it('max_tokens below the output length, or the truncate fault, gives finish_reason length', async () => {
    const r = await ask('long answer', { max_tokens: 7 });
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(7);
    sim.patchModel('gpt-4o', { faults: { truncate: true } });
    const t = await ask('long answer');
    expect(t.choices[0].finish_reason).toBe('length');
    expect(t.usage!.completion_tokens).toBe(25);
  });

  it('5xx surfaces as InternalServerError with an OpenAI error body', async () => {
    sim.patchModel('gpt-4o', { faults: { error5xx: 1, error5xxStatuses: [503] } });
    const err = await ask('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);
    expect((err as InstanceType<typeof OpenAI.InternalServerError>).type).toBe('server_error');
  });

  it('401 invalid_api_key for an invalid key, 404 model_not_found for an unknown model', async () => {
    const bad = new OpenAI({ baseURL: sim.openaiBaseURL, apiKey: 'sk-invalid', maxRetries: 0 });
    const err = await bad.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    const nf = await ask('x', {}, 'gpt-9').catch((e: unknown) => e);
    expect(nf).toBeInstanceOf(OpenAI.NotFoundError);
    expect((nf as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });

  it('streams the same answer as chunks, one token each, ending with usage', async () => {
    const whole = await ask('stream me');
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'stream me' }], stream: true, stream_options: { include_usage: true } });
    const pieces: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) pieces.push(delta);
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(pieces.join('')).toBe(whole.choices[0].message.content);
    expect(pieces).toHaveLength(whole.usage!.completion_tokens);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: whole.usage!.completion_tokens });
    expect(sim.calls().at(-1)).toMatchObject({ outcome: 'ok', status: 200 });
  });

  it('streamCut fails a stream after N tokens (the pieces before it arrive) or stalls it', async () => {
    sim.patchModel('gpt-4o', { faults: { streamCut: { afterTokens: 5, mode: 'fail' } } });
    const pieces: string[] = [];
    const err = await (async () => {
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'cut' }], stream: true });
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) pieces.push(chunk.choices[0].delta.content);
    })().catch((e: unknown) => e);
    // undici's TypeError('terminated'), from another realm than the test's Error.
    expect((err as Error)?.name).toMatch(/Error$/);
    expect(pieces).toHaveLength(5);
    expect(sim.calls().at(-1)).toMatchObject({ outcome: 'reset', fault: 'streamCut:fail' });

    sim.patchModel('gpt-4o', { faults: { streamCut: { afterTokens: 3, mode: 'stall' } } });
    const stalled: string[] = [];
    const controller = new AbortController();
    const stall = (async () => {
      const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'stall' }], stream: true }, { signal: controller.signal });
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) stalled.push(chunk.choices[0].delta.content);
        if (stalled.length === 3) setTimeout(() => controller.abort(), 100);
      }
    })().catch((e: unknown) => e);
    // The SDK ends an aborted stream's iteration quietly.
    await stall;
    expect(stalled).toHaveLength(3);
    // Recorded when the client gives up (closes the connection).
    expect(await eventually(() => sim.calls().find((c) => c.fault === 'streamCut:stall'))).toMatchObject({ outcome: 'hang' });
  });

  it('a hang is ended by the client (timeout or AbortSignal) and recorded as hang', async () => {
    sim.patchModel('gpt-4o', { faults: { hang: true } });
    const started = Date.now();
    const err = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { timeout: 150 })
      .catch((e: unknown) => e);
    // Outside Jest this is APIConnectionTimeoutError. Inside Jest's VM context the SDK's
    // `instanceof Error` check fails on Node's (host-realm) AbortError DOMException, so the SDK
    // reports a plain APIConnectionError — its parent class.
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    const aborted = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { signal: ctrl.signal })
      .catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(OpenAI.APIUserAbortError);
    const calls = await eventually(() => (sim.calls().length === 2 ? sim.calls() : undefined));
    expect(calls.map((c) => c.outcome)).toEqual(['hang', 'hang']);
    expect(sim.stats().inFlight).toBe(0);
  });

  it('connection reset surfaces as APIConnectionError', async () => {
    sim.patchModel('gpt-4o', { faults: { connectionReset: 1 } });
    const err = await ask('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    sim.patchModel('gpt-4o', { faults: { connectionReset: 0, outage: 'refused' } });
    const refused = await ask('x').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(sim.calls().map((c) => [c.outcome, c.fault])).toEqual([['reset', 'connectionReset'], ['reset', 'outage']]);
  });

  it('outage: true fails every call with 503; the x-sim-fault header forces one outcome', async () => {
    sim.patchModel('gpt-4o', { faults: { outage: true } });
    const err = await ask('x').catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    sim.patchModel('gpt-4o', { faults: { outage: false } });
    const forced = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-sim-fault': '502' } })
      .catch((e: unknown) => e);
    expect((forced as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    await expect(ask('x')).resolves.toBeDefined();
  });
});
