import type { BreakerSnapshot } from '@switchyard/core';
import { SelectionWindow } from '../metrics/selection-window';
import { buildRoutingReport } from './routing-report';

const ARMS = [
  { id: 'a', provider: 'openai', model: 'm1' },
  { id: 'b', provider: 'anthropic', model: 'm2' },
];
const NOW = Date.parse('2026-01-01T00:00:00Z');

function breaker(arm: string, over: Partial<BreakerSnapshot> = {}): BreakerSnapshot {
  return { arm, state: 'closed', since: NOW - 1_000, calls: 0, observedCalls: 0, failureRate: 0, consecutiveFailures: 0, ...over };
}

describe('buildRoutingReport', () => {
  it('reports breakers and counts selection share from decisions when no policy reports', () => {
    const selections = new SelectionWindow();
    selections.record('a', NOW - 1_000);
    selections.record('b', NOW - 2_000);
    selections.record('b', NOW - 3_000);
    selections.record('b', NOW - 3_000);
    const report = buildRoutingReport({
      arms: ARMS,
      breakers: (arm) => (arm === 'a' ? breaker('a', { state: 'open', calls: 4, observedCalls: 6, failureRate: 1, consecutiveFailures: 4, openUntil: NOW + 5_000 }) : breaker('b')),
      selections,
      introspection: {},
      tenants: () => ['acme'],
      now: NOW,
    });
    expect(report).toEqual({
      at: '2026-01-01T00:00:00.000Z',
      available: true,
      sources: { policy: false, budget: false },
      budget: null,
      arms: [
        {
          arm: 'a',
          provider: 'openai',
          model: 'm1',
          breaker: { state: 'open', since: '2025-12-31T23:59:59.000Z', failureRate: 1, calls: 4, observedCalls: 6, consecutiveFailures: 4, openUntil: '2026-01-01T00:00:05.000Z', coolingDownUntil: null },
          credentials: { state: 'ok', since: null, status: null, nextProbeAt: null },
          policy: null,
          selections: { lastMinute: 1, shareLastMinute: 0.25, source: 'events' },
        },
        expect.objectContaining({ arm: 'b', selections: { lastMinute: 3, shareLastMinute: 0.75, source: 'events' } }),
      ],
    });
  });

  it('fills posterior, quantiles, cost per success, policy share and budget headroom when they are provided', () => {
    const report = buildRoutingReport({
      arms: ARMS,
      breakers: (arm) => breaker(arm, { state: 'open', openUntil: NOW + 1 }),
      selections: new SelectionWindow(),
      introspection: {
        policySnapshot: () => [{ arm: 'a', observations: 12, successMean: 0.91234567, qualityMean: 0.8, classes: { chat: { observations: 12, successMean: 0.9, qualityMean: 0.75, qualityEvidence: 3 } }, p50Ms: 300, p95Ms: 900, p99Ms: 1500, costPerSuccessUsd: 0.00123, selectionsLastMinute: 7, selectionShareLastMinute: 0.7, lastObservedAt: NOW }],
        budgetHeadroom: (tenant) => [
          ...(tenant ? [{ key: `tenant:${tenant}`, scope: `tenant ${tenant}`, window: 'day', windowId: 'day:2026-01-01', capUsd: 10, usedUsd: 2.5, remainingUsd: 7.5, costWeight: 2.345678 }] : []),
          { key: 'global', scope: 'global', window: 'month', windowId: 'month:2026-01', capUsd: 1000, usedUsd: 100, remainingUsd: 900 },
        ],
      },
      tenants: () => ['acme'],
      now: NOW,
    });
    expect(report.available).toBe(false);
    expect(report.sources).toEqual({ policy: true, budget: true });
    expect(report.arms[0].policy).toEqual({
      observations: 12,
      successMean: 0.9123,
      qualityMean: 0.8,
      classes: { chat: { observations: 12, successMean: 0.9, qualityMean: 0.75, qualityEvidence: 3 } },
      p50Ms: 300, p95Ms: 900, p99Ms: 1500, expectedCostUsd: null, costPerSuccessUsd: 0.00123, lastObservedAt: '2026-01-01T00:00:00.000Z' });
    expect(report.arms[0].selections).toEqual({ lastMinute: 7, shareLastMinute: 0.7, source: 'policy' });
    expect(report.arms[1].policy).toBeNull();
    expect(report.arms[1].credentials).toEqual({ state: 'ok', since: null, status: null, nextProbeAt: null });
    expect(report.budget).toEqual({
      global: [{ window: 'month', windowId: 'month:2026-01', capUsd: 1000, usedUsd: 100, remainingUsd: 900, costWeight: null }],
      tenants: { acme: [{ window: 'day', windowId: 'day:2026-01-01', capUsd: 10, usedUsd: 2.5, remainingUsd: 7.5, costWeight: 2.3457 }] },
    });
  });

  it('shows an arm whose credentials were refused as auth_failed since then', () => {
    const report = buildRoutingReport({
      arms: ARMS,
      breakers: (arm) => breaker(arm),
      credentials: (arm) => (arm === 'a' ? { arm, state: 'auth_failed', since: NOW - 5_000, status: 401, nextProbeAt: NOW + 55_000 } : { arm, state: 'ok' }),
      selections: new SelectionWindow(),
      introspection: {},
      tenants: () => [],
      now: NOW,
    });
    expect(report.arms[0].credentials).toEqual({ state: 'auth_failed', since: '2025-12-31T23:59:55.000Z', status: 401, nextProbeAt: '2026-01-01T00:00:55.000Z' });
    expect(report.arms[0].breaker.state).toBe('closed');
    expect(report.arms[1].credentials.state).toBe('ok');
  });
});
