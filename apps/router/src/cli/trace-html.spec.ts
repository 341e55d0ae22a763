import { pickTrace, renderTraceHtml, spanTree, type JaegerSpanJson, type JaegerTraceJson } from './trace-html';

const T = 'a'.repeat(32);
const span = (spanID: string, operationName: string, parent: string | undefined, startTime: number, duration: number, tags: Record<string, unknown> = {}, logs: JaegerSpanJson['logs'] = []): JaegerSpanJson => ({
  traceID: T,
  spanID,
  operationName,
  references: parent ? [{ refType: 'CHILD_OF', traceID: T, spanID: parent }] : [],
  startTime,
  duration,
  tags: Object.entries(tags).map(([key, value]) => ({ key, type: typeof value, value })),
  logs,
  processID: 'p1',
});

const trace: JaegerTraceJson = {
  traceID: T,
  processes: { p1: { serviceName: 'switchyard-router' } },
  spans: [
    span('c2', 'chat claude-haiku-4-5', 'd2', 1_060_000, 100_000, { 'switchyard.outcome': 'ok' }),
    span('r', 'switchyard.request', 'producer-span-not-in-trace', 1_000_000, 180_000, { 'switchyard.status': 'ok', 'switchyard.request.id': 'req-<1>' }, [
      { timestamp: 1_055_000, fields: [{ key: 'event', value: 'switchyard.fallback' }, { key: 'switchyard.fallback.from', value: 'primary' }] },
    ]),
    span('d1', 'switchyard.decide', 'r', 1_000_000, 50_000, {
      'switchyard.step': 1,
      'switchyard.decision.chosen_arm': 'primary',
      'switchyard.decision.reason': 'highest sampled utility',
      'switchyard.candidates': JSON.stringify([{ arm: 'primary', utility: 0.91, sampledSuccess: 0.97 }, { arm: 'secondary', utility: 0.4 }]),
      'switchyard.excluded': JSON.stringify([{ arm: 'small', reason: 'context window 512 < ~533 tokens needed' }]),
    }),
    span('c1', 'chat gpt-4o-mini', 'd1', 1_001_000, 48_000, { 'error.type': 'server_error', 'otel.status_code': 'ERROR' }),
    span('d2', 'switchyard.decide', 'r', 1_055_000, 110_000, { 'switchyard.decision.chosen_arm': 'secondary' }),
  ],
};

describe('trace HTML', () => {
  it('orders spans as a tree by start time; a span with a parent outside the trace is a root', () => {
    expect(spanTree(trace).map((n) => `${n.depth}:${n.span.spanID}`)).toEqual(['0:r', '1:d1', '2:c1', '1:d2', '2:c2']);
  });

  it('renders durations, decision reasons, candidate scores, exclusions, errors and events, escaped', () => {
    const html = renderTraceHtml(trace);
    expect(html).toContain('highest sampled utility');
    expect(html).toContain('utility 0.91 · P(success) 0.97');
    expect(html).toContain('context window 512 &lt; ~533 tokens needed');
    expect(html).toContain('req-&lt;1&gt;');
    expect(html).not.toContain('req-<1>');
    expect(html).toContain('chat gpt-4o-mini <span class="pill bad">error</span>');
    expect(html).toContain('◆ switchyard.fallback');
    expect(html).toContain('180 ms');
  });

  it('accepts the API envelope or a bare trace', () => {
    expect(pickTrace({ data: [trace] }).traceID).toBe(T);
    expect(pickTrace(trace).traceID).toBe(T);
    expect(() => pickTrace({ data: [] })).toThrow(/no trace/);
    expect(() => pickTrace({ data: [trace] }, 'b'.repeat(32))).toThrow(/not in the JSON/);
  });
});
