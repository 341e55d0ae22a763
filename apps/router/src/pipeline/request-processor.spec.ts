import { createHash } from 'node:crypto';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { DEFAULT_LIMITS, DEFAULT_TOPICS } from '@switchyard/contracts';
import { InMemoryIdempotencyStore, OrderedSelector, Router, RouterEventBus } from '@switchyard/core';
import { makeArm, ManualClock, ScriptedProviders } from '@switchyard/core/testing';
import { RouterTracing } from '@switchyard/telemetry';
import type { OutboundRecord } from '../kafka/batching-publisher';
import type { InboundMessage } from '../kafka/inbound-message';
import { PublishRefusedError } from '../kafka/publish-errors';
import { AnswerPipeline } from './answer-pipeline';
import { DlqWriter } from './dlq-writer';
import type { Publisher } from './kafka-delivery';
import { RequestProcessor } from './request-processor';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PRODUCER_SPAN = 'b7ad6b7169203331';

/** A publisher that records what it took and refuses what `refuses` says the broker would refuse. */
function fakePublisher(refuses: (r: OutboundRecord) => boolean = () => false, limit = 1_000_000) {
  const published: OutboundRecord[] = [];
  const publisher = {
    publish: (record: OutboundRecord) =>
      refuses(record) ? Promise.reject(new PublishRefusedError(record.topic, 'record_too_large', 'test refusal')) : Promise.resolve(void published.push(record)),
    recordLimit: () => limit,
  };
  return { publisher, published };
}

function setup(refuses?: (r: OutboundRecord) => boolean, limits = DEFAULT_LIMITS) {
  const clock = new ManualClock(1_700_000_000_000);
  const exporter = new InMemorySpanExporter();
  const tracing = new RouterTracing({ tracer: new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test') });
  const events = new RouterEventBus();
  events.subscribe(tracing.listener);
  const router = new Router({ arms: [makeArm('a')], providers: new ScriptedProviders(clock, {}), selector: new OrderedSelector(), clock, events });
  const { publisher, published } = fakePublisher(refuses);
  const store = new InMemoryIdempotencyStore(clock, { ttlMs: 60_000, maxEntries: 100 });
  const { processor, dlq } = kafkaEdge(router, store, publisher, limits, tracing);
  return { processor, dlq, router, published, exporter };
}

/** The Kafka edge as the runtime wires it: the pipeline and the DLQ writer handed to the processor. */
function kafkaEdge(router: Router, store: InMemoryIdempotencyStore, publisher: Publisher, limits = DEFAULT_LIMITS, tracing?: RouterTracing) {
  const pipeline = new AnswerPipeline(router, store, { responsesTopic: DEFAULT_TOPICS.responses, tracing });
  const dlq = new DlqWriter(publisher, DEFAULT_TOPICS.dlq);
  return { processor: new RequestProcessor(pipeline, publisher, dlq, DEFAULT_TOPICS, limits), dlq };
}

function message(id: string, headers: Record<string, string>, offset = '0', fields: Record<string, unknown> = {}): InboundMessage {
  const value = Buffer.from(JSON.stringify({ schemaVersion: 1, id, tenant: 't', messages: [{ role: 'user', content: 'hi' }], ...fields }));
  return { topic: 'llm.requests', partition: 0, offset, timestamp: '0', key: Buffer.from(id), value, headers };
}

describe('RequestProcessor tracing', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  it("continues the producer's trace and hands it on in the response body and headers", async () => {
    const { processor, published, exporter } = setup();
    await processor.process(message('r1', { traceparent: `00-${TRACE}-${PRODUCER_SPAN}-01` }));

    const [record] = published;
    expect(JSON.parse(record.value.toString())).toMatchObject({ id: 'r1', status: 'ok', traceId: TRACE });
    const root = exporter.getFinishedSpans().find((s) => s.name === 'switchyard.request')!;
    expect(root.parentSpanContext?.spanId).toBe(PRODUCER_SPAN);
    expect(root.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': 'llm.requests', 'switchyard.status': 'ok' });
    expect(record.headers).toMatchObject({ 'content-type': 'application/json', traceparent: `00-${TRACE}-${root.spanContext().spanId}-01` });
  });

  it('starts a new trace for a record without traceparent, and a replay repeats the first answer with its trace', async () => {
    const { processor, published, exporter } = setup();
    await processor.process(message('r2', {}));
    await processor.process(message('r2', {}, '1'));
    const [first, replay] = published;
    const traceId = (JSON.parse(first.value.toString()) as { traceId: string }).traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.headers?.traceparent).toContain(traceId);
    expect(replay.value.equals(first.value)).toBe(true);
    expect(replay.headers).toEqual(first.headers);
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'switchyard.request')).toHaveLength(1);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads nested JSON fields loosely
const body = (r: OutboundRecord) => JSON.parse(r.value.toString()) as Record<string, any>;

describe('RequestProcessor: nothing blocks, every caller hears back', () => {
  it('answers a request over a limit with a classified failure on its reply topic, and puts the bytes in the DLQ', async () => {
    const { processor, dlq: dlqWriter, published } = setup(undefined, { ...DEFAULT_LIMITS, maxContentChars: 10 });
    await processor.process(message('big', {}, '0', { messages: [{ role: 'user', content: 'x'.repeat(50) }], replyTopic: 'my.replies' }));
    const reply = published.find((r) => r.topic === 'my.replies')!;
    expect(body(reply)).toMatchObject({ id: 'big', tenant: 't', status: 'failed', attempts: [], error: { kind: 'limits', retryable: false } });
    expect(body(reply).error.message).toMatch(/ROUTER_MAX_CONTENT_CHARS/);
    const dlq = published.find((r) => r.topic === DEFAULT_TOPICS.dlq)!;
    expect(body(dlq)).toMatchObject({ reason: 'limits', requestId: 'big', truncated: false });
    expect(processor.counters).toMatchObject({ refused: 1, answered: 0 });
    expect(dlqWriter.counts.written).toBe(1);
  });

  it('refuses a JSON Schema nested past ROUTER_MAX_JSON_DEPTH as limits, answering the caller, without walking it', async () => {
    const { processor, published } = setup();
    const depth = 5_000;
    // Written as text: JSON.stringify itself overflows the stack at this depth.
    const schema = '{"type":"object","properties":{"a":'.repeat(depth) + '{}' + '}}'.repeat(depth);
    const value = Buffer.from(`{"schemaVersion":1,"id":"deep","tenant":"t","messages":[{"role":"user","content":"hi"}],"params":{"responseFormat":{"type":"json_schema","schema":${schema}}}}`);
    await processor.process({ ...message('deep', {}), value });
    await processor.process(message('next', {}, '1'));
    expect(body(published.find((r) => r.topic === DEFAULT_TOPICS.dlq)!)).toMatchObject({ reason: 'limits', requestId: 'deep' });
    const answers = published.filter((r) => r.topic === DEFAULT_TOPICS.responses).map(body);
    expect(answers).toEqual([
      expect.objectContaining({ id: 'deep', status: 'failed', error: expect.objectContaining({ kind: 'limits', message: expect.stringMatching(/ROUTER_MAX_JSON_DEPTH/) }) }),
      expect.objectContaining({ id: 'next', status: 'ok' }),
    ]);
  });

  it('takes a request nested exactly to the depth limit', async () => {
    const { processor, published } = setup(undefined, { ...DEFAULT_LIMITS, maxJsonDepth: 8 });
    // request {} → params → responseFormat → schema → properties → a → properties → b: 8 levels
    const schema = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } } } };
    await processor.process(message('ok8', {}, '0', { params: { responseFormat: { type: 'json_schema', schema } } }));
    await processor.process(message('deep9', {}, '1', { params: { responseFormat: { type: 'json_schema', schema: { ...schema, x: { y: { z: { w: [{}] } } } } } } }));
    expect(published.filter((r) => r.topic === DEFAULT_TOPICS.responses).map(body)).toEqual([
      expect.objectContaining({ id: 'ok8', status: 'ok' }),
      expect.objectContaining({ id: 'deep9', error: expect.objectContaining({ kind: 'limits' }) }),
    ]);
  });

  it('gives a record the router failed on to the DLQ as internal, and tells its caller', async () => {
    const { processor, published } = setup();
    await processor.handlerFailed(message('boom', {}, '7', { replyTopic: 'my.replies' }), new TypeError('x is undefined'));
    expect(body(published.find((r) => r.topic === 'my.replies')!)).toMatchObject({ id: 'boom', status: 'failed', error: { kind: 'internal', retryable: false } });
    const dlq = body(published.find((r) => r.topic === DEFAULT_TOPICS.dlq)!);
    expect(dlq).toMatchObject({ reason: 'internal', requestId: 'boom', source: { offset: '7' } });
    expect(dlq.message).toMatch(/TypeError: x is undefined/);
  });

  it('dead-letters a reused id with another body as conflict, and still replays the identical request byte for byte', async () => {
    const { processor, published } = setup();
    await processor.process(message('same', {}, '0'));
    await processor.process(message('same', {}, '1', { messages: [{ role: 'user', content: 'something else' }] }));
    // Same request, fields in another order: the same request.
    const reordered = { ...message('same', {}, '2'), value: Buffer.from('{"messages":[{"content":"hi","role":"user"}],"tenant":"t","id":"same","schemaVersion":1}') };
    await processor.process(reordered);
    const answers = published.filter((r) => r.topic === DEFAULT_TOPICS.responses);
    expect(answers).toHaveLength(2);
    expect(answers[1].value.equals(answers[0].value)).toBe(true);
    expect(answers[1].headers).toEqual(answers[0].headers);
    const dlq = published.filter((r) => r.topic === DEFAULT_TOPICS.dlq).map(body);
    expect(dlq).toEqual([expect.objectContaining({ reason: 'conflict', requestId: 'same', source: expect.objectContaining({ offset: '1' }) })]);
    expect(dlq[0].message).toMatch(/another body/);
    expect(processor.counters).toMatchObject({ answered: 1, replayed: 1 });
  });

  it('dead-letters a concurrent duplicate id with another body as conflict, sharing nothing with the first', async () => {
    const { processor, published } = setup();
    await Promise.all([processor.process(message('twin', {}, '0')), processor.process(message('twin', {}, '1', { messages: [{ role: 'user', content: 'not the same' }] }))]);
    expect(published.filter((r) => r.topic === DEFAULT_TOPICS.responses).map(body)).toEqual([expect.objectContaining({ id: 'twin', status: 'ok' })]);
    expect(published.filter((r) => r.topic === DEFAULT_TOPICS.dlq).map(body)).toEqual([expect.objectContaining({ reason: 'conflict', source: expect.objectContaining({ offset: '1' }) })]);
  });

  it('answers a schema error that names an id and tenant with bad_request, and one that does not only in the DLQ', async () => {
    const { processor, published } = setup();
    await processor.process(message('bad', {}, '0', { params: { maxTokens: -1 } }));
    await processor.process({ ...message('x', {}), value: Buffer.from('{"schemaVersion":1}') });
    expect(published.filter((r) => r.topic === DEFAULT_TOPICS.responses).map(body)).toEqual([expect.objectContaining({ id: 'bad', error: expect.objectContaining({ kind: 'bad_request' }) })]);
    expect(published.filter((r) => r.topic === DEFAULT_TOPICS.dlq).map((r) => body(r).reason)).toEqual(['schema', 'schema']);
  });

  it('truncates a DLQ record to the topic limit, keeping length and SHA-256 of the whole value', async () => {
    const { router, published } = setup(undefined, { ...DEFAULT_LIMITS, maxMessageBytes: 2_048 });
    const huge = message('huge', {}, '0', { messages: [{ role: 'user', content: 'y'.repeat(10_000) }] });
    // recordLimit of the fake publisher is 1,000,000; use a processor whose DLQ limit is small.
    const small = fakePublisher(undefined, 4_096);
    const p2 = kafkaEdge(router, new InMemoryIdempotencyStore(new ManualClock(0), { ttlMs: 1, maxEntries: 1 }), small.publisher, { ...DEFAULT_LIMITS, maxMessageBytes: 2_048 }).processor;
    await p2.process(huge);
    const dlq = body(small.published.find((r) => r.topic === DEFAULT_TOPICS.dlq)!);
    expect(dlq).toMatchObject({ reason: 'oversize', truncated: true, valueBytes: huge.value!.length, requestId: 'huge' });
    expect(dlq.valueSha256).toBe(createHash('sha256').update(huge.value!).digest('hex'));
    expect(huge.value!.subarray(0, 100).equals(Buffer.from(dlq.valueBase64, 'base64').subarray(0, 100))).toBe(true);
    expect(small.published.find((r) => r.topic === DEFAULT_TOPICS.dlq)!.value.length).toBeLessThanOrEqual(4_096);
    expect(published).toHaveLength(0);
  });

  it('replaces an answer the reply topic refuses with a small failure response there, and the full answer in the DLQ', async () => {
    const { processor, dlq: dlqWriter, published } = setup((r) => r.topic === 'tiny.replies' && r.value.includes('"status":"ok"'));
    await processor.process(message('r3', {}, '0', { replyTopic: 'tiny.replies' }));
    const reply = published.find((r) => r.topic === 'tiny.replies')!;
    expect(body(reply)).toMatchObject({ id: 'r3', status: 'failed', error: { kind: 'undeliverable' } });
    const dlq = body(published.find((r) => r.topic === DEFAULT_TOPICS.dlq)!);
    expect(dlq).toMatchObject({ reason: 'undeliverable', requestId: 'r3' });
    expect(JSON.parse(Buffer.from(dlq.valueBase64, 'base64').toString())).toMatchObject({ id: 'r3', status: 'ok' });
    expect(processor.counters).toMatchObject({ undeliverable: 1 });
    expect(dlqWriter.counts).toEqual({ written: 1, dropped: 0 });
  });

  it('moves on when even the DLQ refuses, counting the record as dropped rather than as a DLQ record', async () => {
    const { processor, dlq, published } = setup((r) => r.topic === DEFAULT_TOPICS.dlq);
    await processor.process({ ...message('x', {}), value: Buffer.from('not json') });
    expect(published).toHaveLength(0);
    expect(dlq.counts).toEqual({ written: 0, dropped: 1 });
    expect(dlq.byReason.size).toBe(0);
  });

  it('publishes the pieces of a stream: true request on the stream topic before its answer, and none for a replay', async () => {
    const { processor, published } = setup();
    await processor.process(message('s1', {}, '0', { stream: true }));
    await processor.process(message('s1', {}, '1', { stream: true }));
    expect(published.map((r) => r.topic)).toEqual([DEFAULT_TOPICS.stream, DEFAULT_TOPICS.responses, DEFAULT_TOPICS.responses]);
    const answer = body(published[1]);
    expect(body(published[0])).toEqual({ schemaVersion: 1, id: 's1', seq: 0, delta: answer.output.text });
    expect(published[0].key).toBe('s1');
  });

  it('does not count a conflicting id from another tenant as a replay', async () => {
    const { processor, dlq } = setup();
    await processor.process(message('same', {}));
    await processor.process(message('same', {}, '1', { tenant: 'other' }));
    expect(processor.counters).toMatchObject({ answered: 1, replayed: 0 });
    expect(dlq.byReason.get('conflict')).toBe(1);
  });
});
