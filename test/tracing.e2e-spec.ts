import { createHash, randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { request } from './support/kafka-io';
import { parentId, startJaeger, tag, waitForTrace, type JaegerInstance, type JaegerSpan, type JaegerTrace } from './support/jaeger';
import { PRIMARY_SECONDARY, Stack } from './support/stack';

/**
 * One request, one trace, end to end: a producer's traceparent on the Kafka record, the router
 * continuing it through a fallback (primary model in outage), Jaeger holding the spans, and the
 * response carrying the trace on.
 */
const FRONTDOOR_KEY = 'sk-tracing-e2e';

describe('tracing: producer trace → router spans in Jaeger → response traceparent', () => {
  const stack = new Stack({ prefix: 'tracing', sim: { latencyScale: 0.02, seed: 11 }, arms: PRIMARY_SECONDARY });
  const { topics } = stack;
  let jaeger: JaegerInstance;

  beforeAll(async () => {
    jaeger = startJaeger();
    await stack.start();
    stack.sim.patchModel('gpt-4o-mini', { faults: { outage: true } });
    await stack.startRouter({
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      FRONTDOOR_API_KEYS: `traced:${createHash('sha256').update(FRONTDOOR_KEY).digest('hex')}`,
    });
  }, 900_000); // a clean machine builds Jaeger first

  afterAll(async () => {
    await stack.stop();
    jaeger?.stop();
  });

  it('continues the producer trace through decide and chat spans, records the fallback, and hands the trace on', async () => {
    const traceId = randomBytes(16).toString('hex');
    const producerSpanId = randomBytes(8).toString('hex');
    const id = `traced-${traceId.slice(0, 8)}`;
    await stack.producer.send({
      topic: topics.requests,
      messages: [{ key: id, value: JSON.stringify(request(id, { class: 'chat', routing: { objective: 'balanced' } })), headers: { traceparent: `00-${traceId}-${producerSpanId}-01` } }],
    });
    await stack.responses.waitFor((c) => c.byKey().has(id), 30_000, 'the response');
    const response = stack.responses.byKey().get(id)![0];

    expect(response.json).toMatchObject({ id, status: 'ok', servedBy: { arm: 'secondary' }, traceId });
    expect(response.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const done = (t: JaegerTrace) => t.spans.some((s) => s.operationName === 'switchyard.request') && t.spans.filter((s) => s.operationName.startsWith('chat ')).length >= 2;
    const trace = await waitForTrace(jaeger.queryUrl, traceId, done);
    const spans = (name: string) => trace.spans.filter((s) => s.operationName === name);

    const [root] = spans('switchyard.request');
    expect(root.traceID).toBe(traceId);
    expect(parentId(root)).toBe(producerSpanId);
    expect(trace.processes[root.processID].serviceName).toBe('switchyard-router');
    expect(trace.processes[root.processID].tags).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'service.version', value: expect.any(String) })]));
    expect(tag(root, 'switchyard.request.id')).toBe(id);
    expect(tag(root, 'switchyard.tenant')).toBe('e2e');
    expect(tag(root, 'switchyard.request.class')).toBe('chat');
    expect(tag(root, 'switchyard.objective')).toBe('balanced');
    expect(tag(root, 'switchyard.status')).toBe('ok');
    expect(tag(root, 'switchyard.attempts')).toBeGreaterThanOrEqual(2);
    expect(tag(root, 'switchyard.cost_usd')).toEqual(expect.any(Number));
    expect(tag(root, 'messaging.destination.name')).toBe(topics.requests);
    // The response's traceparent points at the request span, so a consumer's trace continues from it.
    expect(response.headers.traceparent.split('-')[2]).toBe(root.spanID);

    const decides = spans('switchyard.decide');
    expect(decides.length).toBeGreaterThanOrEqual(2);
    for (const decide of decides) expect(parentId(decide)).toBe(root.spanID);
    const first = decides.find((d) => tag(d, 'switchyard.step') === 1)!;
    expect(tag(first, 'switchyard.decision.chosen_arm')).toBe('primary');
    expect(JSON.parse(String(tag(first, 'switchyard.candidates')))).toEqual(expect.arrayContaining([expect.objectContaining({ arm: 'primary' }), expect.objectContaining({ arm: 'secondary' })]));
    expect(tag(first, 'switchyard.decision.reason')).toEqual(expect.any(String));
    expect(tag(first, 'switchyard.decision.exploration')).toBe(false);
    const fallbackDecide = decides.find((d) => tag(d, 'switchyard.decision.chosen_arm') === 'secondary')!;
    expect(tag(fallbackDecide, 'switchyard.fallback.from')).toBe('primary');

    const failed = trace.spans.filter((s) => s.operationName === 'chat gpt-4o-mini');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const span of failed) {
      expect(decides.map((d) => d.spanID)).toContain(parentId(span));
      expect(tag(span, 'gen_ai.operation.name')).toBe('chat');
      expect(tag(span, 'gen_ai.provider.name')).toBe('openai');
      expect(tag(span, 'gen_ai.request.model')).toBe('gpt-4o-mini');
      expect(tag(span, 'error.type')).toBe('server_error');
      expect(tag(span, 'otel.status_code')).toBe('ERROR');
      expect(tag(span, 'span.kind')).toBe('client');
    }
    const [served] = spans('chat claude-haiku-4-5');
    expect(parentId(served)).toBe(fallbackDecide.spanID);
    expect(tag(served, 'gen_ai.provider.name')).toBe('anthropic');
    expect(tag(served, 'gen_ai.response.model')).toEqual(expect.any(String));
    expect(tag(served, 'gen_ai.usage.input_tokens')).toBeGreaterThan(0);
    expect(tag(served, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
    expect(String(tag(served, 'gen_ai.response.finish_reasons'))).toContain('stop');
    expect(tag(served, 'error.type')).toBeUndefined();

    const fallback = root.logs.find((l) => l.fields.some((f) => f.key === 'event' && f.value === 'switchyard.fallback'));
    expect(fallback).toBeDefined();
    const field = (key: string) => fallback!.fields.find((f) => f.key === key)?.value;
    expect(field('switchyard.fallback.from')).toBe('primary');
    expect(field('switchyard.fallback.to')).toBe('secondary');
    expect(field('switchyard.fallback.reason')).toEqual(expect.any(String));

    // Nothing the producer did not send: no prompt or output text by default.
    const everything = JSON.stringify(trace.spans.map((s: JaegerSpan) => [s.tags, s.logs]));
    expect(everything).not.toContain(`question ${id}`);
  });

  it("shows a mid-stream switch of an HTTP stream as a span event in the caller's trace", async () => {
    // The primary streams 4 tokens, then its connection closes; the secondary continues the answer.
    stack.sim.patchModel('gpt-4o-mini', { faults: { outage: false, streamCut: { afterTokens: 4, mode: 'fail' } } });
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const client = new OpenAI({ apiKey: FRONTDOOR_KEY, baseURL: `http://127.0.0.1:${stack.router.port}/v1`, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'traced stream' }], stream: true }, { headers: { traceparent: `00-${traceId}-${callerSpanId}-01` } })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.split(' ').length).toBeGreaterThan(4);

    const trace = await waitForTrace(jaeger.queryUrl, traceId, (t) => t.spans.some((s) => s.operationName === 'switchyard.request' && s.logs.some((l) => l.fields.some((f) => f.value === 'switchyard.stream.switched'))));
    const root = trace.spans.find((s) => s.operationName === 'switchyard.request')!;
    expect(parentId(root)).toBe(callerSpanId);
    expect(tag(root, 'span.kind')).toBe('server');
    expect(tag(root, 'switchyard.request.id')).toBe(response.headers.get('x-switchyard-request-id'));
    const switched = root.logs.find((l) => l.fields.some((f) => f.key === 'event' && f.value === 'switchyard.stream.switched'))!;
    const field = (key: string) => switched.fields.find((f) => f.key === key)?.value;
    expect(field('switchyard.stream.from')).toBe('primary');
    expect(field('switchyard.stream.to')).toBe('secondary');
    expect(field('switchyard.stream.streamed_chars')).toBeGreaterThan(0);
    expect(String(field('switchyard.stream.reason'))).toMatch(/^(network|server_error)/);
    const broken = trace.spans.find((s) => s.operationName === 'chat gpt-4o-mini')!;
    expect(tag(broken, 'otel.status_code')).toBe('ERROR');
    expect(tag(trace.spans.find((s) => s.operationName === 'chat claude-haiku-4-5')!, 'error.type')).toBeUndefined();
  });
});
