import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { FallbackGuardSettings, OrderedSelector, ReductionSettings, Router, RouterEventBus, type RouteRequest } from '@switchyard/core';
import { makeArm, ManualClock, ScriptedProviders, WordEmbedder } from '@switchyard/core/testing';
import { ATTR, EVENT, SPAN } from './attributes';
import { RouterTracing } from './router-tracing';

const LONG = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: `old question ${'x'.repeat(6_000)}` },
  { role: 'assistant' as const, content: `old answer ${'y'.repeat(6_000)}` },
  { role: 'user' as const, content: 'and now?' },
];

function request(id: string, cls: string, messages = LONG): RouteRequest {
  return { id, tenant: 'acme', class: cls, messages, params: {}, routing: { objective: 'balanced' } };
}

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const clock = new ManualClock(1_700_000_000_000);
  const tracing = new RouterTracing({ tracer: provider.getTracer('test') });
  const bus = new RouterEventBus();
  bus.subscribe(tracing.listener);
  const providers = new ScriptedProviders(clock, {
    small: [{ ok: true, text: 'fine' }],
    summariser: [{ ok: true, text: 'they asked about x', latencyMs: 0, usage: { inputTokens: 3_000, outputTokens: 20 } }],
    judge: [{ ok: true, text: 'FAIL' }],
  });
  const arms = [makeArm('big', { classes: ['guarded'] }), makeArm('small', { contextWindow: 2_000 }), makeArm('summariser', { classes: ['none'] }), makeArm('judge', { classes: ['none'] })];
  providers.setScript('big', [{ ok: false, kind: 'server_error' }]);
  const router = new Router({
    arms,
    providers,
    selector: new OrderedSelector(),
    clock,
    events: bus,
    reduction: new ReductionSettings({ notes: { method: 'summarize', summarizeWith: 'summariser', summaryMaxTokens: 100 } }),
    fallbackGuard: { settings: new FallbackGuardSettings({ guarded: { kind: 'judge', judge: 'judge', prompt: 'Acceptable?' } }), embedder: new WordEmbedder() },
  });
  return { exporter, router, clock };
}

describe('tracing the fallback steps', () => {
  it('a reduction is one switchyard.reduce span under the request, with the summary call and its cost', async () => {
    const { exporter, router } = setup();
    const result = await router.route(request('r1', 'notes'));
    expect(result.reduced?.method).toBe('summarize');
    const spans = exporter.getFinishedSpans();
    const reduce = spans.find((s) => s.name === SPAN.reduce)!;
    const root = spans.find((s) => s.name === SPAN.request)!;
    expect(reduce.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(reduce.attributes).toMatchObject({
      [ATTR.reduceMethod]: 'summarize',
      [ATTR.reduceReduced]: true,
      [ATTR.reduceTargetArm]: 'small',
      [ATTR.reduceSummaryArm]: 'summariser',
      [ATTR.reduceSummaryCostUsd]: result.reduced!.summary!.costUsd,
    });
    expect(reduce.attributes[ATTR.reduceToTokens]).toBeLessThan(reduce.attributes[ATTR.reduceFromTokens] as number);
    // The summary call is a provider span under the reduction, like an attempt's.
    const call = spans.find((s) => s.parentSpanContext?.spanId === reduce.spanContext().spanId)!;
    expect(call.name).toBe('chat summariser');
    expect(call.attributes).toMatchObject({ [ATTR.arm]: 'summariser', [ATTR.attemptRole]: 'summary', [ATTR.outcome]: 'ok', [ATTR.costUsd]: result.reduced!.summary!.costUsd, [ATTR.genAiInputTokens]: 3_000 });
  });

  it('the fallback guard verdict is an event on the request span', async () => {
    const { exporter, router, clock } = setup();
    const pending = router.route(request('r2', 'guarded', [{ role: 'user', content: 'hi' }]));
    for (let i = 0; i < 100; i++) await clock.advance(1_000);
    const result = await pending;
    expect(result.error?.kind).toBe('check_failed');
    const root = exporter.getFinishedSpans().find((s) => s.name === SPAN.request)!;
    const guard = root.events.find((e) => e.name === EVENT.fallbackGuard)!;
    expect(guard.attributes).toMatchObject({ [ATTR.arm]: 'small', [ATTR.guardMethod]: 'judge', [ATTR.guardResult]: 'fail', [ATTR.guardArm]: 'judge' });
  });
});
