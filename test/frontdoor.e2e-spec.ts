import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { PRIMARY_SECONDARY, Stack } from './support/stack';

const ACME_KEY = 'sk-acme-e2e-key';
const BETA_KEY = 'sk-beta-e2e-key';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The OpenAI-compatible front door of a real router process, called with the official `openai`
 * SDK, answered by provider-sim through the same Router as the Kafka path.
 */
describe('front door: the openai SDK against /v1', () => {
  const stack = new Stack({
    prefix: 'frontdoor',
    sim: { latencyScale: 0.02, seed: 11 },
    arms: PRIMARY_SECONDARY,
    tableYaml: ['classes:', '  extraction: { valueUsd: 0.05 }'].join('\n'),
    kafkaClients: false,
    router: { FRONTDOOR_API_KEYS: `acme:${sha256(ACME_KEY)},beta:${sha256(BETA_KEY)}` },
  });
  let acme: OpenAI;

  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `http://127.0.0.1:${stack.router.port}/v1`, maxRetries: 0 });

  beforeAll(async () => {
    await stack.start();
    acme = client(ACME_KEY);
  });
  afterAll(() => stack.stop());

  it('answers a chat completion in OpenAI shape, served by an arm of the routing table', async () => {
    const completion = await acme.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 2000 });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].message.content?.length).toBeGreaterThan(0);
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    expect(completion.model).toMatch(/gpt-4o-mini/);
    const served = (completion as unknown as { switchyard: { tenant: string; served_by: { arm: string } } }).switchyard;
    expect(served).toMatchObject({ tenant: 'acme', served_by: { arm: 'primary' } });
  });

  it('routes to the arm or class named by `model`', async () => {
    const byArm = await acme.chat.completions.create({ model: 'secondary', messages: [{ role: 'user', content: 'Which arm?' }] });
    expect(byArm.model).toMatch(/claude-haiku/);
    const byClass = await acme.chat.completions.create({ model: 'switchyard/extraction', messages: [{ role: 'user', content: 'A class' }] });
    expect((byClass as unknown as { switchyard: { served_by: { arm: string } } }).switchyard.served_by.arm).toBe('primary');
  });

  it('answers JSON mode with a JSON answer', async () => {
    const completion = await acme.chat.completions.create({
      model: 'primary',
      messages: [{ role: 'user', content: 'Give me JSON' }],
      response_format: { type: 'json_object' },
    });
    expect(() => JSON.parse(completion.choices[0].message.content!)).not.toThrow();
  });

  it.each(['primary', 'secondary'])('calls tools and answers from their results (%s arm, its own SDK underneath)', async (arm) => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'track_status', description: 'Status of a rail track', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }];
    const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'Is track 4 clear?' };
    const first = await acme.chat.completions.create({ model: arm, messages: [question], tools });
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('track_status');
    expect(JSON.parse(call.function.arguments)).toEqual({ query: expect.any(String) });

    const second = await acme.chat.completions.create({
      model: arm,
      tools,
      messages: [question, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"clear": true}' }],
    });
    expect(second.choices[0].finish_reason).toBe('stop');
    expect(second.choices[0].message.content!.length).toBeGreaterThan(0);
  });

  it('streams a tool-calling answer: the calls arrive whole in one delta, finish_reason tool_calls', async () => {
    const stream = await acme.chat.completions.create({
      model: 'secondary',
      messages: [{ role: 'user', content: 'Is track 9 clear?' }],
      tools: [{ type: 'function', function: { name: 'track_status', parameters: { type: 'object' } } }],
      stream: true,
    });
    const calls: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      calls.push(...(chunk.choices[0]?.delta?.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(calls).toEqual([expect.objectContaining({ index: 0, type: 'function', function: { name: 'track_status', arguments: expect.stringContaining('query') } })]);
  });

  it('lists the routing alias, the arms and the classes as models', async () => {
    const ids: string[] = [];
    for await (const model of acme.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['switchyard/auto', 'primary', 'secondary', 'switchyard/extraction']));
  });

  it('refuses an unknown key with 401 in OpenAI error shape', async () => {
    const error = await client('sk-wrong').chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(401);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
  });

  it('refuses a bad body with 400 naming the field', async () => {
    const bad = await acme.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'hi' }], temperature: 7 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).param).toBe('temperature');

    const res = await fetch(`http://127.0.0.1:${stack.router.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACME_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'switchyard/auto', messages: [{ role: 'robot', content: 'hi' }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; type: string; message: string } };
    expect(body.error).toMatchObject({ param: 'messages[0].role', type: 'invalid_request_error' });
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    const error = await acme.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
  });

  it("refuses a key's request for another tenant's budget", async () => {
    const error = await acme.chat.completions
      .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'hi' }], switchyard: { tenant: 'beta' } } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe('switchyard.tenant');
  });

  it('answers a repeated Idempotency-Key once: one provider call, the same answer', async () => {
    const key = `idem-${Date.now()}`;
    const ask = () => acme.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'Once only' }] }, { headers: { 'Idempotency-Key': key } });
    const [first, second] = await Promise.all([ask(), ask()]);
    const third = await ask();
    expect(second.choices[0].message.content).toBe(first.choices[0].message.content);
    expect(third).toEqual(expect.objectContaining({ id: first.id, choices: first.choices, usage: first.usage }));
    expect(stack.sim.calls().filter((c) => c.requestId === key)).toHaveLength(1);

    // The same key from another tenant is not that tenant's answer.
    const conflict = await client(BETA_KEY)
      .chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'Once only' }] }, { headers: { 'Idempotency-Key': key } })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(OpenAI.ConflictError);

    // The two repeats are the front door's replays, not the Kafka processor's; the conflict is neither.
    const metrics = await (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_http_replays_total 2$/m);
    expect(metrics).toMatch(/^switchyard_replays_total 0$/m);
  });

  it('streams an answer as chat.completion.chunk events ending with usage', async () => {
    const stream = await acme.chat.completions.create({
      model: 'switchyard/auto',
      messages: [{ role: 'user', content: 'Stream to me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });
});
