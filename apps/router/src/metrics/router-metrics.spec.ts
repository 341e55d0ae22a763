import { RouterEventBus, type AttemptOutcome, type Decision, type RouteResult, type RouterEvent } from '@switchyard/core';
import { ConsumerLagProbe, type LagSource, type PartitionLag } from './consumer-lag';
import { reasonLabel, RouterMetrics } from './router-metrics';
import { SelectionWindow } from './selection-window';

const ARMS = [
  { id: 'primary', provider: 'openai', model: 'gpt-4o-mini' },
  { id: 'secondary', provider: 'anthropic', model: 'claude-haiku-4-5' },
];

function arm(id: string) {
  const a = ARMS.find((x) => x.id === id)!;
  return { ...a, providerKind: a.provider as 'openai', pricing: { inputPer1M: 1, outputPer1M: 2 }, contextWindow: 128_000, maxOutputTokens: 4096, classes: [], policyGroup: 'default', timeouts: { connectMs: 1000, totalMs: 20_000 } };
}

function decision(chosen: string, exploration = false): Decision {
  return { chosen: arm(chosen), candidates: [], excluded: [], reason: 'test', exploration };
}

function outcome(a: string, kind: AttemptOutcome['kind'], over: Partial<AttemptOutcome> = {}): AttemptOutcome {
  return { arm: a, attempt: 1, kind, role: 'first', retryable: kind !== 'ok', countsAgainstArm: kind !== 'ok', startedAt: 0, latencyMs: 300, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 }, ...over };
}

function result(over: Partial<RouteResult>): RouteResult {
  return { status: 'ok', attempts: [], usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, latencyMs: 1_200, ...over };
}

/** A fallback request: primary 500s, secondary answers. */
function fallbackRequest(id: string, tenant = 'acme', at = 1_000): RouterEvent[] {
  const failed = outcome('primary', 'server_error', { latencyMs: 80 });
  const served = outcome('secondary', 'ok', { attempt: 2, role: 'fallback', latencyMs: 900, costUsd: 0.002, usage: { inputTokens: 100, outputTokens: 50 } });
  return [
    { type: 'request.started', requestId: id, tenant, requestClass: 'chat', at },
    { type: 'decision', requestId: id, at, step: 1, decision: decision('primary') },
    { type: 'attempt.started', requestId: id, at, arm: 'primary', attempt: 1, model: 'gpt-4o-mini', provider: 'openai' },
    { type: 'attempt.finished', requestId: id, at, outcome: failed },
    { type: 'fallback', requestId: id, at, from: 'primary', to: 'secondary', reason: 'server_error' },
    { type: 'decision', requestId: id, at, step: 2, decision: decision('secondary') },
    { type: 'attempt.finished', requestId: id, at, outcome: served },
    { type: 'request.finished', requestId: id, at, result: result({ status: 'ok', attempts: [failed, served], latencyMs: 1_000 }) },
  ];
}

async function value(metrics: RouterMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) return undefined;
  const data = await metric.get();
  const match = data.values.find(
    (v) => ((v as { metricName?: string }).metricName ?? name) === name && Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val),
  );
  return match?.value;
}

describe('RouterMetrics', () => {
  let bus: RouterEventBus;
  let metrics: RouterMetrics;

  beforeEach(() => {
    bus = new RouterEventBus();
    metrics = new RouterMetrics({ arms: ARMS }, { defaultMetrics: false });
    metrics.attach(bus);
  });

  const play = (events: RouterEvent[]) => events.forEach((e) => bus.emit(e));

  it('counts semantic cache misses a guard or the judge caused, by guard', async () => {
    play([
      { type: 'cache.lookup', requestId: 'c1', at: 0, stage: 'first', result: 'miss', rejected: 'order' },
      { type: 'cache.lookup', requestId: 'c2', at: 0, stage: 'first', result: 'miss', rejected: 'order' },
      { type: 'cache.lookup', requestId: 'c3', at: 0, stage: 'first', result: 'miss', rejected: 'judge' },
      { type: 'cache.lookup', requestId: 'c4', at: 0, stage: 'first', result: 'miss' },
    ]);
    expect(await value(metrics, 'switchyard_cache_guard_rejections_total', { guard: 'order' })).toBe(2);
    expect(await value(metrics, 'switchyard_cache_guard_rejections_total', { guard: 'judge' })).toBe(1);
    expect(await value(metrics, 'switchyard_cache_lookups_total', { stage: 'first', result: 'miss', kind: 'none' })).toBe(4);
  });

  it('counts requests by status, class and error kind, attempts by arm and outcome, fallbacks and selections', async () => {
    play(fallbackRequest('r1'));
    play(fallbackRequest('r2', 'globex'));
    const failed = outcome('primary', 'timeout_read');
    play([
      { type: 'request.started', requestId: 'r3', tenant: 'acme', requestClass: 'coding', at: 0 },
      { type: 'decision', requestId: 'r3', at: 0, step: 1, decision: decision('primary', true) },
      { type: 'attempt.finished', requestId: 'r3', at: 0, outcome: failed },
      { type: 'fallback', requestId: 'r3', at: 0, from: 'primary', reason: 'timeout_read: no arm left (retry budget spent)' },
      { type: 'request.finished', requestId: 'r3', at: 0, result: result({ status: 'failed', attempts: [failed], error: { kind: 'timeout_read', message: 'The provider timed out — retry budget spent — attempts: primary: timeout_read', retryable: true } }) },
    ]);

    expect(await value(metrics, 'switchyard_requests_total', { status: 'ok', class: 'chat', error_kind: 'none' })).toBe(2);
    expect(await value(metrics, 'switchyard_requests_total', { status: 'failed', class: 'coding', error_kind: 'timeout_read' })).toBe(1);
    expect(await value(metrics, 'switchyard_attempts_total', { arm: 'primary', outcome: 'server_error', role: 'first' })).toBe(2);
    expect(await value(metrics, 'switchyard_attempts_total', { arm: 'secondary', outcome: 'ok', role: 'fallback' })).toBe(2);
    expect(await value(metrics, 'switchyard_fallbacks_total', { from: 'primary', to: 'secondary', reason: 'server_error' })).toBe(2);
    expect(await value(metrics, 'switchyard_fallbacks_total', { from: 'primary', to: 'none', reason: 'timeout_read' })).toBe(1);
    expect(await value(metrics, 'switchyard_selections_total', { arm: 'primary', exploration: 'false' })).toBe(2);
    expect(await value(metrics, 'switchyard_selections_total', { arm: 'primary', exploration: 'true' })).toBe(1);
    expect(await value(metrics, 'switchyard_retry_budget_exhausted_total', { arm: 'primary' })).toBe(1);
    expect(await value(metrics, 'switchyard_cost_usd_total', { tenant: 'acme', arm: 'secondary' })).toBeCloseTo(0.002);
    expect(await value(metrics, 'switchyard_cost_usd_total', { tenant: 'globex', arm: 'secondary' })).toBeCloseTo(0.002);
    expect(await value(metrics, 'switchyard_tokens_total', { arm: 'secondary', type: 'output' })).toBe(100);

    const text = await metrics.metrics();
    expect(text).toContain('switchyard_attempt_duration_seconds_bucket{le="0.1",arm="primary",result="error"} 2');
    expect(text).toContain('switchyard_attempt_duration_seconds_bucket{le="0.5",arm="primary",result="error"} 3');
    expect(text).toContain('switchyard_attempt_duration_seconds_bucket{le="1",arm="secondary",result="ok"} 2');
    expect(text).toContain('switchyard_request_duration_seconds_count{status="ok",class="chat"} 2');
    // No request ids in any label.
    expect(text).not.toMatch(/r[123]"/);
  });

  it('counts degraded requests apart, with the failure they replaced', async () => {
    const failed = outcome('primary', 'server_error');
    play([
      { type: 'request.started', requestId: 'd1', tenant: 'acme', requestClass: 'chat', at: 0 },
      { type: 'degraded', requestId: 'd1', at: 0, requestClass: 'chat', failure: { kind: 'server_error', message: 'x', retryable: true } },
      { type: 'request.finished', requestId: 'd1', at: 0, result: result({ status: 'ok', degraded: true, degradedFrom: { kind: 'server_error', message: 'x', retryable: true }, attempts: [failed] }) },
    ]);
    expect(await value(metrics, 'switchyard_requests_total', { status: 'degraded', class: 'chat', error_kind: 'server_error' })).toBe(1);
  });

  it('starts every arm closed and follows breaker transitions (0 closed, 1 half_open, 2 open)', async () => {
    expect(await value(metrics, 'switchyard_breaker_state', { arm: 'primary' })).toBe(0);
    expect(await value(metrics, 'switchyard_breaker_state', { arm: 'secondary' })).toBe(0);
    play([{ type: 'breaker.transition', at: 0, arm: 'primary', from: 'closed', to: 'open', reason: '5 consecutive failures' }]);
    expect(await value(metrics, 'switchyard_breaker_state', { arm: 'primary' })).toBe(2);
    play([{ type: 'breaker.transition', at: 0, arm: 'primary', from: 'open', to: 'half_open', reason: 'open time over' }]);
    expect(await value(metrics, 'switchyard_breaker_state', { arm: 'primary' })).toBe(1);
    expect(await value(metrics, 'switchyard_breaker_transitions_total', { arm: 'primary', to: 'open' })).toBe(1);
  });

  it('counts retries, hedges and continuations with bounded reason labels', async () => {
    play([
      { type: 'retry.scheduled', requestId: 'x', at: 0, arm: 'primary', attempt: 2, delayMs: 100, reason: 'rate_limited, Retry-After 100 ms' },
      { type: 'retry.scheduled', requestId: 'x', at: 0, arm: 'primary', attempt: 3, delayMs: 0, reason: 'something new and free-form' },
      { type: 'hedge.started', requestId: 'x', at: 0, primary: 'primary', hedge: 'secondary', attempt: 2, delayMs: 500 },
      { type: 'hedge.won', requestId: 'x', at: 0, winner: 'secondary', loser: 'primary', loserCancelled: true },
      { type: 'continuation', requestId: 'x', at: 0, arm: 'primary', attempt: 4, continuation: 1, outputTokensSoFar: 10 },
      { type: 'request.started', requestId: 'y', tenant: 'acme', requestClass: 'chat', at: 0 },
      { type: 'budget.refused', requestId: 'y', at: 0, arm: 'secondary', reason: 'budget: tenant acme day cap' },
    ]);
    expect(await value(metrics, 'switchyard_budget_refusals_total', { tenant: 'acme', arm: 'secondary' })).toBe(1);
    expect(await value(metrics, 'switchyard_retries_scheduled_total', { arm: 'primary', reason: 'rate_limited' })).toBe(1);
    expect(await value(metrics, 'switchyard_retries_scheduled_total', { arm: 'primary', reason: 'other' })).toBe(1);
    expect(await value(metrics, 'switchyard_hedges_started_total', { primary: 'primary', hedge: 'secondary' })).toBe(1);
    expect(await value(metrics, 'switchyard_hedges_won_total', { winner: 'secondary', loser: 'primary' })).toBe(1);
    expect(await value(metrics, 'switchyard_continuations_total', { arm: 'primary' })).toBe(1);
    expect(reasonLabel('context_overflow on a 8000-token window: larger windows only')).toBe('context_overflow');
  });

  it('caps distinct tenants', async () => {
    const capped = new RouterMetrics({ arms: ARMS }, { defaultMetrics: false, maxTenants: 1 });
    const b = new RouterEventBus();
    capped.attach(b);
    [...fallbackRequest('a', 't1'), ...fallbackRequest('b', 't2')].forEach((e) => b.emit(e));
    expect(await value(capped, 'switchyard_cost_usd_total', { tenant: 't1', arm: 'secondary' })).toBeCloseTo(0.002);
    expect(await value(capped, 'switchyard_cost_usd_total', { tenant: 'other', arm: 'secondary' })).toBeCloseTo(0.002);
  });

  it('labels only classes and tenants the configuration knows; 30 invented ones add no series', async () => {
    const known = { classes: new Set(['default', 'chat']), tenants: new Set(['acme']) };
    const bounded = new RouterMetrics({ arms: ARMS, knownLabels: () => known }, { defaultMetrics: false });
    const b = new RouterEventBus();
    bounded.attach(b);
    fallbackRequest('k', 'acme').forEach((e) => b.emit(e));
    const lines = async () => (await bounded.metrics()).split('\n').filter((l) => l && !l.startsWith('#')).length;
    const invented = (i: number) => fallbackRequest(`x${i}`, `tenant-${i}`).map((e) => (e.type === 'request.started' ? { ...e, requestClass: `class-${i}` } : e));
    invented(0).forEach((e) => b.emit(e));
    const afterOne = await lines();
    for (let i = 1; i < 30; i++) invented(i).forEach((e) => b.emit(e));
    expect(await lines()).toBe(afterOne);
    expect(await value(bounded, 'switchyard_requests_total', { status: 'ok', class: 'other', error_kind: 'none' })).toBe(30);
    expect(await value(bounded, 'switchyard_requests_total', { status: 'ok', class: 'chat', error_kind: 'none' })).toBe(1);
    expect(await value(bounded, 'switchyard_cost_usd_total', { tenant: 'other', arm: 'secondary' })).toBeCloseTo(0.06);
    expect(await value(bounded, 'switchyard_cost_usd_total', { tenant: 'acme', arm: 'secondary' })).toBeCloseTo(0.002);
    expect(bounded.knownTenants()).toEqual(['acme']);
  });

  it('reads transport, processor, DLQ, lag and budget sources on scrape', async () => {
    const counters = { replayed: 0 };
    const http = { replayed: 0 };
    const dlq = new Map<string, number>();
    let lagReads = 0;
    const source: LagSource = {
      read: () => {
        lagReads++;
        return Promise.resolve<PartitionLag[]>([
          { partition: 0, highWatermark: 10, committed: 7, lag: 3 },
          { partition: 1, highWatermark: 5, committed: 5, lag: 0 },
        ]);
      },
      close: () => Promise.resolve(),
    };
    const scraped = new RouterMetrics(
      {
        arms: ARMS,
        transport: () => ({ state: 'running', inFlight: 4, assignedPartitions: [0, 1], pausedPartitions: [1] }),
        processor: () => counters,
        frontDoor: () => http,
        dlqByReason: () => dlq,
        breakers: () => [{ arm: 'primary', state: 'open', failureRate: 1 }],
        lag: { probe: new ConsumerLagProbe(source, { maxAgeMs: 60_000 }), topic: 'llm.requests' },
        introspection: {
          budgetHeadroom: (tenant) => [
            ...(tenant ? [{ key: `tenant:${tenant}`, window: 'day', capUsd: 10, usedUsd: 4, remainingUsd: 6 }] : []),
            { key: 'global', window: 'month', capUsd: 100, usedUsd: 40, remainingUsd: 60 },
          ],
        },
      },
      { defaultMetrics: false },
    );
    const b = new RouterEventBus();
    scraped.attach(b);
    fallbackRequest('r1', 'acme').forEach((e) => b.emit(e));
    counters.replayed = 2;
    http.replayed = 1;
    dlq.set('schema', 3);

    const lines = (await scraped.metrics()).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'switchyard_in_flight_requests 4',
        'switchyard_consumer_running 1',
        'switchyard_consumer_partitions{state="paused"} 1',
        'switchyard_replays_total 2',
        'switchyard_http_replays_total 1',
        'switchyard_dlq_records_total{reason="schema"} 3',
        'switchyard_breaker_state{arm="primary"} 2',
        'switchyard_breaker_state{arm="secondary"} 0',
        'switchyard_consumer_lag{topic="llm.requests",partition="0"} 3',
        'switchyard_consumer_lag{topic="llm.requests",partition="1"} 0',
        'switchyard_budget_remaining_usd{tenant="acme",window="day"} 6',
        'switchyard_budget_spent_usd{tenant="_global",window="month"} 40',
      ]),
    );

    // Counters mirror the processor's totals without double counting; lag is cached.
    counters.replayed = 3;
    dlq.set('schema', 4);
    const again = await scraped.metrics();
    expect(again).toContain('switchyard_replays_total 3');
    expect(again).toContain('switchyard_dlq_records_total{reason="schema"} 4');
    expect(lagReads).toBe(1);
  });

  it('registers no budget series without a budget guard, and default process metrics with the prefix', async () => {
    const withDefaults = new RouterMetrics({ arms: ARMS });
    const text = await withDefaults.metrics();
    expect(text).not.toMatch(/switchyard_budget_(spent|remaining|cap)_usd/);
    expect(text).toContain('switchyard_process_cpu_user_seconds_total');
    expect(text).toContain('switchyard_nodejs_eventloop_lag_seconds');
  });
});

describe('SelectionWindow', () => {
  it('reports selections and shares over the last minute only', () => {
    const w = new SelectionWindow();
    w.record('a', 0);
    w.record('a', 30_000);
    w.record('b', 59_000);
    expect(w.shares(59_500).get('a')).toEqual({ selections: 2, share: 2 / 3 });
    // At 65 s the selection made at 0 s has left the window.
    expect(w.shares(65_000).get('a')).toEqual({ selections: 1, share: 0.5 });
    expect(w.shares(200_000).get('b')).toEqual({ selections: 0, share: 0 });
  });
});

describe('ConsumerLagProbe', () => {
  it('refreshes at most once per max age, shares one refresh between scrapes, and keeps the last reading on errors', async () => {
    let now = 0;
    let reads = 0;
    let fail = false;
    const source: LagSource = {
      read: async () => {
        reads++;
        await new Promise((r) => setTimeout(r, 5));
        if (fail) throw new Error('broker gone');
        return [{ partition: 0, highWatermark: reads, committed: 0, lag: reads }];
      },
      close: () => Promise.resolve(),
    };
    const probe = new ConsumerLagProbe(source, { maxAgeMs: 10_000, now: () => now });
    const [a, b] = await Promise.all([probe.get(), probe.get()]);
    expect(reads).toBe(1);
    expect(a).toBe(b);
    now = 5_000;
    expect((await probe.get())?.partitions[0].lag).toBe(1);
    expect(reads).toBe(1);
    now = 10_000;
    fail = true;
    expect((await probe.get())?.partitions[0].lag).toBe(1);
    expect(probe.errors).toBe(1);
    expect(probe.lastError).toBe('broker gone');
  });

  it('serves the previous reading when a refresh is slower than the wait', async () => {
    let now = 0;
    let slow = false;
    const source: LagSource = {
      read: () => (slow ? new Promise<PartitionLag[]>(() => undefined) : Promise.resolve([{ partition: 0, highWatermark: 1, committed: 0, lag: 1 }])),
      close: () => Promise.resolve(),
    };
    const probe = new ConsumerLagProbe(source, { maxAgeMs: 1, waitMs: 20, now: () => now });
    expect((await probe.get())?.partitions[0].lag).toBe(1);
    slow = true;
    now = 100;
    expect((await probe.get())?.partitions[0].lag).toBe(1);
  });
});
