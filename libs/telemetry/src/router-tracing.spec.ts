import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, ParentBasedSampler, SamplingDecision, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { OrderedSelector, ProviderError, Router, RouterEventBus, type ArmConfig, type ProviderRegistry, type RouteRequest, type RouterEvent } from '@switchyard/core';
import { makeArm, ManualClock, ScriptedProviders, type ScriptedStep } from '@switchyard/core/testing';
import { ATTR, EVENT } from './attributes';
import { extractTraceContext } from './kafka-headers';
import { RouterTracing, type RouterTracingOptions } from './router-tracing';

const PRODUCER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';

function request(overrides: Partial<RouteRequest> = {}): RouteRequest {
  return {
    id: 'req-1',
    tenant: 'acme',
    class: 'chat',
    messages: [{ role: 'user', content: 'what is the capital of France?' }],
    params: {},
    routing: { objective: 'cheapest' },
    ...overrides,
  };
}

function setup(scripts: Record<string, ScriptedStep[]> | ProviderRegistry, options: RouterTracingOptions = {}, arms: ArmConfig[] = [makeArm('primary'), makeArm('backup')]) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const clock = new ManualClock(1_700_000_000_000);
  const tracing = new RouterTracing({ tracer: provider.getTracer('test'), ...options });
  const bus = new RouterEventBus();
  bus.subscribe(tracing.listener);
  const providers = 'providerFor' in scripts ? (scripts as ProviderRegistry) : new ScriptedProviders(clock, scripts as Record<string, ScriptedStep[]>);
  const router = new Router({ arms, providers, selector: new OrderedSelector(), clock, events: bus });
  /** Routes while moving the virtual clock, so scripted latencies elapse. */
  const route = async (req: RouteRequest) => {
    let settled = false;
    const pending = router.route(req).finally(() => (settled = true));
    for (let i = 0; i < 600 && !settled; i++) await clock.advance(100);
    return pending;
  };
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s) => s.name === name);
  const one = (name: string) => {
    const found = named(name);
    expect(found).toHaveLength(1);
    return found[0];
  };
  return { tracing, router, route, clock, spans, named, one };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const ms = (time: ReadableSpan['startTime']) => time[0] * 1e3 + time[1] / 1e6;

describe('RouterTracing', () => {
  it('builds request → decide → chat spans for a fallback, with the fallback as an event naming both arms', async () => {
    const { route, spans, named, one } = setup({ primary: [{ ok: false, kind: 'server_error', status: 503, latencyMs: 40 }], backup: [{ ok: true, latencyMs: 120, usage: { inputTokens: 12, outputTokens: 7 } }] });
    const result = await route(request());
    expect(result.status).toBe('ok');

    const root = one('switchyard.request');
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({
      [ATTR.requestId]: 'req-1',
      [ATTR.tenant]: 'acme',
      [ATTR.requestClass]: 'chat',
      [ATTR.status]: 'ok',
      [ATTR.attempts]: 2,
      [ATTR.servedArm]: 'backup',
    });
    expect(root.attributes[ATTR.costUsd]).toBeCloseTo(result.usage.costUsd, 12);

    const decides = named('switchyard.decide');
    expect(decides.map((d) => [d.attributes[ATTR.step], d.attributes[ATTR.chosenArm], parentOf(d)])).toEqual([
      [1, 'primary', idOf(root)],
      [2, 'backup', idOf(root)],
    ]);
    expect(decides[0].attributes[ATTR.candidateArms]).toEqual(['primary', 'backup']);
    expect(JSON.parse(decides[0].attributes[ATTR.candidates] as string)).toEqual([
      { arm: 'primary', breaker: 'closed' },
      { arm: 'backup', breaker: 'closed' },
    ]);
    expect(decides[0].attributes[ATTR.candidateBreakers]).toEqual(['closed', 'closed']);
    expect(decides[0].attributes[ATTR.probe]).toBe(false);
    expect(decides[1].attributes[ATTR.excludedArms]).toEqual(['primary']);
    expect(decides[1].attributes[ATTR.fallbackFrom]).toBe('primary');

    const failed = one('chat primary');
    expect(failed.kind).toBe(SpanKind.CLIENT);
    expect(parentOf(failed)).toBe(idOf(decides[0]));
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes).toMatchObject({
      [ATTR.genAiOperation]: 'chat',
      [ATTR.genAiProvider]: 'sim',
      [ATTR.genAiRequestModel]: 'primary',
      [ATTR.errorType]: 'server_error',
      [ATTR.httpStatus]: 503,
    });
    expect(ms(failed.endTime) - ms(failed.startTime)).toBe(40);

    const served = one('chat backup');
    expect(parentOf(served)).toBe(idOf(decides[1]));
    expect(served.status.code).toBe(SpanStatusCode.UNSET);
    expect(served.attributes).toMatchObject({
      [ATTR.genAiResponseModel]: 'backup',
      [ATTR.genAiInputTokens]: 12,
      [ATTR.genAiOutputTokens]: 7,
      [ATTR.genAiFinishReasons]: ['stop'],
    });
    expect(served.attributes[ATTR.errorType]).toBeUndefined();

    expect(root.events.map((e) => [e.name, e.attributes])).toEqual([
      [EVENT.fallback, { [ATTR.fallbackFrom]: 'primary', [ATTR.fallbackReason]: 'server_error', [ATTR.fallbackTo]: 'backup' }],
    ]);
    // Span times are the router clock's event times: 40 ms failure + 120 ms answer.
    expect(ms(root.endTime) - ms(root.startTime)).toBe(160);
    expect(spans()).toHaveLength(5);
  });

  it('marks a failed request with the final error kind and records each fallback and retry as an event', async () => {
    const { route, one } = setup({ primary: [{ ok: false, kind: 'rate_limited', retryAfterMs: 500, status: 429 }], backup: [{ ok: false, kind: 'server_error' }] });
    const result = await route(request());
    expect(result.status).toBe('failed');
    const root = one('switchyard.request');
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    expect(root.attributes).toMatchObject({
      [ATTR.status]: 'failed',
      [ATTR.errorKind]: result.error?.kind,
      [ATTR.errorType]: result.error?.kind,
      [ATTR.attempts]: result.attempts.length,
    });
    expect(one('chat primary').attributes).toMatchObject({ [ATTR.errorType]: 'rate_limited', [ATTR.retryAfterMs]: 500, [ATTR.httpStatus]: 429 });
    const fallbacks = root.events.filter((e) => e.name === EVENT.fallback);
    expect(fallbacks[0].attributes).toMatchObject({ [ATTR.fallbackFrom]: 'primary', [ATTR.fallbackTo]: 'backup' });
    const retries = root.events.filter((e) => e.name === EVENT.retry);
    const retriedAttempts = result.attempts.filter((a) => a.role === 'retry').length;
    expect(retries).toHaveLength(retriedAttempts);
    for (const retry of retries) expect(retry.attributes?.[ATTR.retryDelayMs]).toEqual(expect.any(Number));
  });

  it('records hedges, continuations, retries and breaker transitions of a traced request as events on its span', () => {
    const { tracing, one } = setup({});
    const id = 'req-h';
    // Epoch-like times: the SDK reads a small number as a performance.now() offset.
    const T = 1_700_000_000_000;
    tracing.handle({ type: 'request.started', requestId: id, tenant: 't', requestClass: 'chat', at: T });
    tracing.handle({ type: 'retry.scheduled', requestId: id, at: T + 10, arm: 'a', attempt: 2, delayMs: 250, reason: 'server_error' });
    tracing.handle({ type: 'hedge.started', requestId: id, at: T + 20, primary: 'a', hedge: 'b', attempt: 3, delayMs: 300 });
    tracing.handle({ type: 'hedge.won', requestId: id, at: T + 30, winner: 'b', loser: 'a', loserCancelled: true });
    tracing.handle({ type: 'continuation', requestId: id, at: T + 40, arm: 'b', attempt: 4, continuation: 1, outputTokensSoFar: 512 });
    tracing.handle({ type: 'breaker.transition', requestId: id, at: T + 50, arm: 'a', from: 'closed', to: 'open', reason: '5 failures' });
    tracing.handle({ type: 'breaker.transition', at: T + 60, arm: 'c', from: 'open', to: 'half_open', reason: 'cooldown over' });
    tracing.handle({ type: 'request.finished', requestId: id, at: T + 100, result: { status: 'ok', attempts: [], usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, latencyMs: 100 } });
    const root = one('switchyard.request');
    expect(root.events.map((e) => [e.name, ms(e.time)])).toEqual([
      [EVENT.retry, T + 10],
      [EVENT.hedgeStarted, T + 20],
      [EVENT.hedgeWon, T + 30],
      [EVENT.continuation, T + 40],
      [EVENT.breakerTransition, T + 50],
    ]);
    expect(root.events[0].attributes).toMatchObject({ [ATTR.retryDelayMs]: 250, [ATTR.retryReason]: 'server_error' });
    expect(root.events[2].attributes).toMatchObject({ [ATTR.hedgeWinner]: 'b', [ATTR.hedgeLoserCancelled]: true });
    expect(root.events[4].attributes).toMatchObject({ [ATTR.breakerArm]: 'a', [ATTR.breakerTo]: 'open' });
  });

  it('names the entry a cache hit served and its first asker, the cached question only with content recording, and a guard’s refusal', () => {
    const T = 1_700_000_000_000;
    const hit = { type: 'cache.lookup' as const, at: T + 5, stage: 'first' as const, result: 'hit' as const, kind: 'semantic' as const, similarity: 0.97, ageMs: 10, entryKey: 'k1', firstRequestId: 'asker-1', cachedQuestion: 'How do I convert USD to EUR?', judge: { arm: 'mini', same: true, costUsd: 0.00001, latencyMs: 40 } };
    for (const recordContent of [false, true]) {
      const { tracing, named } = setup({}, { recordContent });
      tracing.handle({ type: 'request.started', requestId: 'h', tenant: 't', requestClass: 'faq', at: T });
      tracing.handle({ ...hit, requestId: 'h' });
      tracing.handle({ type: 'request.started', requestId: 'm', tenant: 't', requestClass: 'faq', at: T });
      tracing.handle({ type: 'cache.lookup', requestId: 'm', at: T + 5, stage: 'first', result: 'miss', rejected: 'order' });
      for (const id of ['h', 'm']) tracing.handle({ type: 'request.finished', requestId: id, at: T + 9, result: { status: 'ok', attempts: [], usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, latencyMs: 9 } });
      const [hitSpan, missSpan] = named('switchyard.request');
      const hitEvent = hitSpan.events.find((e) => e.name === EVENT.cacheLookup)!;
      expect(hitEvent.attributes).toMatchObject({ [ATTR.cacheEntryKey]: 'k1', [ATTR.cacheFirstRequestId]: 'asker-1', [ATTR.cacheJudgeArm]: 'mini', [ATTR.cacheJudgeSame]: true, [ATTR.cacheJudgeCostUsd]: 0.00001 });
      expect(hitEvent.attributes?.[ATTR.cacheQuestion]).toBe(recordContent ? 'How do I convert USD to EUR?' : undefined);
      expect(missSpan.events.find((e) => e.name === EVENT.cacheLookup)!.attributes).toMatchObject({ [ATTR.cacheResult]: 'miss', [ATTR.cacheRejected]: 'order' });
    }
  });

  it('records a mid-stream switch to another arm as an event naming both arms and what had been streamed', () => {
    const { tracing, one } = setup({});
    const id = 'req-s';
    const T = 1_700_000_000_000;
    tracing.handle({ type: 'request.started', requestId: id, tenant: 't', requestClass: 'chat', at: T });
    tracing.handle({ type: 'stream.switched', requestId: id, at: T + 20, from: 'a', to: 'b', attempt: 2, streamedChars: 42, reason: 'network: connection closed' });
    tracing.handle({ type: 'request.finished', requestId: id, at: T + 100, result: { status: 'ok', attempts: [], usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, latencyMs: 100 } });
    const [event] = one('switchyard.request').events;
    expect([event.name, ms(event.time)]).toEqual([EVENT.streamSwitched, T + 20]);
    expect(event.attributes).toEqual({ [ATTR.streamFrom]: 'a', [ATTR.streamTo]: 'b', [ATTR.attempt]: 2, [ATTR.streamedChars]: 42, [ATTR.streamReason]: 'network: connection closed' });
  });

  it('continues the producer trace: the request span is a child of the extracted traceparent and hands its own on', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const { tracing, route, one, named } = setup({});
      const parent = extractTraceContext({ Traceparent: `00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01`, tracestate: 'vendor=abc' });
      const req = request({ routing: { objective: 'fastest' } });
      const requestTrace = tracing.startRequest(req, { parent, attributes: { 'messaging.system': 'kafka' } });
      expect(requestTrace.traceId).toBe(PRODUCER_TRACE);
      await requestTrace.run(() => route(req));
      // The edge ends the request span (after storing the answer), not request.finished.
      expect(named('switchyard.request')).toHaveLength(0);
      requestTrace.end();

      const root = one('switchyard.request');
      expect(root.kind).toBe(SpanKind.CONSUMER);
      expect(root.spanContext().traceId).toBe(PRODUCER_TRACE);
      expect(parentOf(root)).toBe(PRODUCER_SPAN);
      expect(root.attributes).toMatchObject({ [ATTR.objective]: 'fastest', [ATTR.status]: 'ok', 'messaging.system': 'kafka' });
      expect(one('switchyard.decide').spanContext().traceId).toBe(PRODUCER_TRACE);
      expect(requestTrace.headers()).toEqual({ traceparent: `00-${PRODUCER_TRACE}-${idOf(root)}-01`, tracestate: 'vendor=abc' });
      expect(tracing.openRequests).toBe(0);
    } finally {
      propagation.disable();
    }
  });

  it('never records an API key, even when a provider message carries one', async () => {
    const apiKey = 'sk-proj-SECRETSECRETSECRET1234';
    const customKey = 'gw-7f3a9c1d2e';
    const leaky: ProviderRegistry = {
      providerFor: () => ({
        call: () => Promise.reject(new ProviderError({ kind: 'auth', status: 401, message: `Incorrect API key provided: ${apiKey} (gateway key ${customKey}); Authorization: Bearer ${apiKey}` })),
      }),
    };
    const { tracing, route, spans } = setup(leaky, { secrets: [apiKey, customKey] });
    const req = request({ messages: [{ role: 'user', content: 'hi' }] });
    const requestTrace = tracing.startRequest(req, { parent: ROOT_CONTEXT });
    await requestTrace.run(() => route(req));
    requestTrace.end();

    const recorded = JSON.stringify(spans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    expect(spans().length).toBeGreaterThanOrEqual(4);
    expect(recorded).toContain('auth');
    expect(recorded).not.toContain(apiKey);
    expect(recorded).not.toContain('SECRETSECRET');
    expect(recorded).not.toContain(customKey);
  });

  it('records prompt and output text only when content recording is switched on', async () => {
    const off = setup({});
    const offTrace = off.tracing.startRequest(request());
    await off.route(request());
    offTrace.end();
    const offText = JSON.stringify(off.spans().map((s) => s.attributes));
    expect(offText).not.toContain('capital of France');
    expect(offText).not.toContain('answer from primary');

    const on = setup({}, { recordContent: true });
    const onTrace = on.tracing.startRequest(request());
    await on.route(request());
    onTrace.end();
    const root = on.one('switchyard.request');
    expect(JSON.parse(root.attributes[ATTR.genAiInputMessages] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'what is the capital of France?' }] }]);
    expect(root.attributes[ATTR.genAiOutputMessages]).toContain('answer from primary');
  });

  it('ignores event types it does not know and events of requests it does not track', () => {
    const { tracing, spans } = setup({});
    const unknown = { type: 'budget.reserved', requestId: 'req-1', at: 1, usd: 0.1 } as unknown as RouterEvent;
    expect(() => tracing.handle(unknown)).not.toThrow();
    tracing.handle({ type: 'fallback', requestId: 'never-started', at: 1, from: 'a', reason: 'server_error' });
    expect(spans()).toHaveLength(0);
    expect(tracing.openRequests).toBe(0);
  });

  it('bounds the requests it keeps open, closing the oldest', () => {
    const { tracing, spans } = setup({}, { maxOpenRequests: 2 });
    for (const id of ['r1', 'r2', 'r3']) tracing.handle({ type: 'request.started', requestId: id, tenant: 't', requestClass: 'c', at: 1_700_000_000_000 });
    expect(tracing.openRequests).toBe(2);
    expect(spans().map((s) => [s.attributes[ATTR.requestId], s.attributes['switchyard.trace.evicted']])).toEqual([['r1', true]]);
  });

  it('produces valid but unsampled context when no SDK is installed', () => {
    const tracing = new RouterTracing();
    const requestTrace = tracing.startRequest(request(), { parent: trace.setSpanContext(ROOT_CONTEXT, { traceId: PRODUCER_TRACE, spanId: PRODUCER_SPAN, traceFlags: TraceFlags.SAMPLED, isRemote: true }) });
    expect(requestTrace.traceId).toBe(PRODUCER_TRACE);
    requestTrace.end();
    expect(new RouterTracing().startRequest(request({ id: 'x' }), { parent: ROOT_CONTEXT }).traceId).toBeUndefined();
  });

  it('with recording off (SDK disabled) turns no event into a span and keeps nothing open, yet passes the producer context on', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const { tracing, route, spans } = setup({ primary: [{ ok: false, kind: 'server_error', status: 503, latencyMs: 40 }], backup: [{ ok: true, latencyMs: 120 }] }, { recording: false });
      const parent = extractTraceContext({ traceparent: `00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01` });
      const req = request();
      const requestTrace = tracing.startRequest(req, { parent });
      expect(requestTrace.traceId).toBe(PRODUCER_TRACE);
      const result = await requestTrace.run(() => route(req));
      expect(result.status).toBe('ok');
      expect(tracing.openRequests).toBe(0);
      requestTrace.end();
      // Only the edge's request span (a no-op one when the SDK is really off); no decide or chat spans.
      expect(spans().map((s) => s.name)).toEqual(['switchyard.request']);
      expect(requestTrace.headers().traceparent).toContain(PRODUCER_TRACE);
    } finally {
      propagation.disable();
    }
  });

  it('builds nothing for a request the sampler leaves out, and traces the sampled ones in full', async () => {
    const exporter = new InMemorySpanExporter();
    // Samples request ids ending in "-keep" (a stand-in for a ratio sampler); children follow their parent.
    const sampler = {
      shouldSample: (_ctx: unknown, _traceId: string, _name: string, _kind: unknown, attributes: Record<string, unknown>) => ({ decision: String(attributes[ATTR.requestId] ?? '').endsWith('-keep') ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD }),
      toString: () => 'by-request-id',
    };
    const provider = new TracerProvider({ sampler: new ParentBasedSampler({ root: sampler }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const clock = new ManualClock(1_700_000_000_000);
    const tracing = new RouterTracing({ tracer: provider.getTracer('test') });
    const bus = new RouterEventBus();
    bus.subscribe(tracing.listener);
    const router = new Router({ arms: [makeArm('primary')], providers: new ScriptedProviders(clock, { primary: [{ ok: true, latencyMs: 10 }, { ok: true, latencyMs: 10 }] }), selector: new OrderedSelector(), clock, events: bus });
    for (const id of ['r1-drop', 'r2-keep']) {
      const req = request({ id });
      const requestTrace = tracing.startRequest(req, { parent: ROOT_CONTEXT });
      // Left out: not even followed (no per-event work); sampled: followed until it ends.
      expect(tracing.openRequests).toBe(id.endsWith('-keep') ? 1 : 0);
      let settled = false;
      const pending = requestTrace.run(() => router.route(req)).finally(() => (settled = true));
      for (let i = 0; i < 50 && !settled; i++) await clock.advance(100);
      expect((await pending).status).toBe('ok');
      requestTrace.end();
    }
    expect(tracing.openRequests).toBe(0);
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.attributes[ATTR.requestId]).filter(Boolean))).toEqual(new Set(['r2-keep']));
    expect(spans.map((s) => s.name).sort()).toEqual(['chat primary', 'switchyard.decide', 'switchyard.request']);
  });
});
