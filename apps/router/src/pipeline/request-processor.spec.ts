import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { DEFAULT_LIMITS, DEFAULT_TOPICS } from '@switchyard/contracts';
import { InMemoryIdempotencyStore, OrderedSelector, Router, RouterEventBus } from '@switchyard/core';
import { makeArm, ManualClock, ScriptedProviders } from '@switchyard/core/testing';
import { RouterTracing } from '@switchyard/telemetry';
import type { OutboundRecord } from '../kafka/batching-publisher';
import type { InboundMessage } from '../kafka/inbound-message';
import { RequestProcessor } from './request-processor';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PRODUCER_SPAN = 'b7ad6b7169203331';

function setup() {
  const clock = new ManualClock(1_700_000_000_000);
  const exporter = new InMemorySpanExporter();
  const tracing = new RouterTracing({ tracer: new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test') });
  const events = new RouterEventBus();
  events.subscribe(tracing.listener);
  const router = new Router({ arms: [makeArm('a')], providers: new ScriptedProviders(clock, {}), selector: new OrderedSelector(), clock, events });
  const published: OutboundRecord[] = [];
  const publisher = { publish: (record: OutboundRecord) => Promise.resolve(void published.push(record)) };
  const store = new InMemoryIdempotencyStore(clock, { ttlMs: 60_000, maxEntries: 100 });
  const processor = new RequestProcessor(router, store, publisher, { ...DEFAULT_TOPICS }, DEFAULT_LIMITS, tracing);
  return { processor, published, exporter };
}

function message(id: string, headers: Record<string, string>, offset = '0'): InboundMessage {
  const value = Buffer.from(JSON.stringify({ schemaVersion: 1, id, tenant: 't', messages: [{ role: 'user', content: 'hi' }] }));
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
