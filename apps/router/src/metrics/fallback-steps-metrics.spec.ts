import type { RouterEvent } from '@switchyard/core';
import { RouterMetrics } from './router-metrics';

async function value(metrics: RouterMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const data = await metrics.registry.getSingleMetric(name)?.get();
  return data?.values.find((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val))?.value;
}

const reduced = (requestId: string, over: Partial<Extract<RouterEvent, { type: 'context.reduced' }>>): RouterEvent => ({
  type: 'context.reduced',
  requestId,
  requestClass: 'chat',
  startedAt: 0,
  at: 10,
  method: 'trim',
  reduced: true,
  fromTokens: 9_000,
  toTokens: 1_500,
  droppedTurns: 6,
  targetArm: 'small',
  limitTokens: 1_800,
  ...over,
});

describe('metrics of context reduction and the fallback guard', () => {
  it('counts reductions by method and result, and the summary call in the spend', async () => {
    const metrics = new RouterMetrics({ arms: [{ id: 'small' }, { id: 'long' }] }, { defaultMetrics: false });
    metrics.listener({ type: 'request.started', requestId: 'r1', tenant: 'acme', requestClass: 'chat', at: 0 });
    metrics.listener(reduced('r1', { method: 'summarize', summary: { arm: 'long', costUsd: 0.003, latencyMs: 400 } }));
    metrics.listener(reduced('r2', {}));
    metrics.listener(reduced('r3', { method: 'trim', summary: { arm: 'long', costUsd: 0, latencyMs: 0, error: 'server_error' } }));
    metrics.listener(reduced('r4', { reduced: false, reason: 'too large' }));
    const series = (method: string, result: string) => value(metrics, 'switchyard_context_reductions_total', { class: 'chat', method, result });
    expect(await series('summarize', 'reduced')).toBe(1);
    expect(await series('trim', 'reduced')).toBe(1);
    expect(await series('summarize', 'summary_failed')).toBe(1);
    expect(await series('trim', 'too_large')).toBe(1);
    expect(await value(metrics, 'switchyard_cost_usd_total', { tenant: 'acme', arm: 'long' })).toBeCloseTo(0.003);
  });

  it('counts fallback guard verdicts by class, method and result', async () => {
    const metrics = new RouterMetrics({ arms: [{ id: 'small' }] }, { defaultMetrics: false });
    const guarded = (result: 'pass' | 'fail'): RouterEvent => ({ type: 'fallback.guarded', requestId: 'r', at: 0, requestClass: 'chat', arm: 'small', verdict: { method: 'similarity', result, reason: '' } });
    metrics.listener(guarded('fail'));
    metrics.listener(guarded('fail'));
    metrics.listener(guarded('pass'));
    expect(await value(metrics, 'switchyard_fallback_guard_total', { class: 'chat', method: 'similarity', result: 'fail' })).toBe(2);
    expect(await value(metrics, 'switchyard_fallback_guard_total', { class: 'chat', method: 'similarity', result: 'pass' })).toBe(1);
  });

  it('exposes the review stream counts when it is on', async () => {
    const metrics = new RouterMetrics({ arms: [], fallbackReviews: () => ({ published: 4, failed: 1 }) }, { defaultMetrics: false });
    expect(await value(metrics, 'switchyard_fallback_reviews_total', { result: 'published' })).toBe(4);
    expect(await value(metrics, 'switchyard_fallback_reviews_total', { result: 'failed' })).toBe(1);
  });
});
