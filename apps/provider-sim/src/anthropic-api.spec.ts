import Anthropic from '@anthropic-ai/sdk';
import { startProviderSim, type ProviderSim } from './index';
import { eventually, instantConfig } from './test-support';

describe('provider-sim: Anthropic messages through the official SDK', () => {
  let sim: ProviderSim;
  let client: Anthropic;
  const ask = (content: string, extra: Record<string, unknown> = {}, model = 'claude-haiku-4-5') =>
    client.messages.create({ model, max_tokens: 1024, messages: [{ role: 'user', content }], ...extra });

  beforeAll(async () => {
    sim = await startProviderSim({ config: instantConfig() });
    client = new Anthropic({ baseURL: sim.anthropicBaseURL, apiKey: 'sk-ant-test', maxRetries: 0, defaultHeaders: { 'x-api-key': 'sk-ant-test', authorization: null } });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it('answers with the real message shape and usage', async () => {
    const m = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      system: 's'.repeat(40),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'u'.repeat(80) }] }],
    });
    expect(m).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 30, output_tokens: 60 },
    });
    expect(m.id).toMatch(/^msg_/);
    expect(m.content).toHaveLength(1);
    expect(m.content[0].type).toBe('text');
    const again = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      system: 's'.repeat(40),
      messages: [{ role: 'user', content: 'u'.repeat(80) }],
    });
    expect(again.content).toEqual(m.content);
  });

  it('max_tokens truncation gives stop_reason max_tokens; stop sequences give stop_sequence', async () => {
    const short = await ask('hello', { max_tokens: 5 });
    expect(short.stop_reason).toBe('max_tokens');
    expect(short.usage.output_tokens).toBe(5);
    const full = await ask('stop me');
    const text = (full.content[0] as { text: string }).text;
    const seq = text.split(' ').slice(20, 22).join(' ');
    const stopped = await ask('stop me', { stop_sequences: [seq] });
    expect(stopped.stop_reason).toBe('stop_sequence');
    expect(stopped.stop_sequence).toBe(seq);
  });

  it('429 surfaces as RateLimitError with retry-after, in Anthropic\'s error shape', async () => {
    sim.patchModel('claude-haiku-4-5', { faults: { rate429: 1, retryAfterS: 7 } });
    const err = await ask('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.headers?.get('retry-after')).toBe('7');
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(e.requestID).toMatch(/^req_/);
  });

  it('529 is overloaded_error; 500 is api_error', async () => {
    sim.patchModel('claude-haiku-4-5', { faults: { error5xx: 1, error5xxStatuses: [529] } });
    const overloaded = await ask('x').catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((overloaded as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    sim.patchModel('claude-haiku-4-5', { faults: { error5xxStatuses: [500] } });
    const api = await ask('x').catch((e: unknown) => e);
    expect((api as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'api_error' } });
  });

  it('context overflow is a 400 invalid_request_error "prompt is too long"', async () => {
    const res = await fetch(`${sim.anthropicBaseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'a'.repeat(210_000 * 4) }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' },
    });
    const err = await ask('a'.repeat(199_500 * 4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('input length and `max_tokens` exceed context limit: 199500 + 1024 > 200000');
  });

  it('content policy gives stop_reason refusal', async () => {
    sim.patchModel('claude-haiku-4-5', { faults: { contentPolicy: true } });
    const m = await ask('x');
    expect(m.stop_reason).toBe('refusal');
  });

  it('401 authentication_error, 404 unknown model, 400 for missing max_tokens; streams the same answer as message events', async () => {
    const bad = new Anthropic({ baseURL: sim.anthropicBaseURL, apiKey: 'sk-ant-invalid', maxRetries: 0, defaultHeaders: { 'x-api-key': 'sk-ant-invalid', authorization: null } });
    const auth = await bad.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(Anthropic.AuthenticationError);
    const nf = await ask('x', {}, 'claude-9').catch((e: unknown) => e);
    expect(nf).toBeInstanceOf(Anthropic.NotFoundError);
    const whole = await ask('stream me');
    const pieces: string[] = [];
    const stream = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'stream me' }] });
    stream.on('text', (t) => pieces.push(t));
    const final = await stream.finalMessage();
    expect(pieces.join('')).toBe((whole.content[0] as { text: string }).text);
    expect(final).toMatchObject({ stop_reason: whole.stop_reason, usage: { output_tokens: whole.usage.output_tokens } });
    const res = await fetch(`${sim.anthropicBaseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });

  it('connection reset surfaces as APIConnectionError; a hang is aborted by the caller', async () => {
    sim.patchModel('claude-haiku-4-5', { faults: { connectionReset: 1 } });
    const reset = await ask('x').catch((e: unknown) => e);
    expect(reset).toBeInstanceOf(Anthropic.APIConnectionError);
    sim.patchModel('claude-haiku-4-5', { faults: { connectionReset: 0, hang: 1 } });
    const aborted = await client.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { signal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(Anthropic.APIError);
    expect((aborted as InstanceType<typeof Anthropic.APIError>).status).toBeUndefined();
    const calls = await eventually(() => (sim.calls().length === 2 ? sim.calls() : undefined));
    expect(calls.map((c) => c.outcome)).toEqual(['reset', 'hang']);
  });
});
