// The seed article's table, reproduced with our numbers: for each failure row, the impact under
// simple retry, the impact under Switchyard, the reduction, and the figure the article claims.
import { quantile } from '../policy/metrics';
import type { RequestRecord } from '../policy/simulate';
import type { World } from '../policy/world';

interface RowSpec {
  row: string;
  impact: string;
  claimedReductionPct: number;
  claim: string;
  /** The impact of one run (lower is better), from the records and the scenario's event windows. */
  measure(records: readonly RequestRecord[], inWindow: (r: RequestRecord) => boolean): number;
  unit: 'pct' | 'ms';
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const share = (rs: readonly RequestRecord[], f: (r: RequestRecord) => boolean) => (rs.length ? rs.filter(f).length / rs.length : NaN);
const sortedLatency = (rs: readonly RequestRecord[]) => Float64Array.from(rs, (r) => r.latencyMs).sort();

/** Seed-table rows, keyed by the shipped scenario that reproduces them. */
export const SEED_ROWS: Record<string, RowSpec> = {
  'primary-outage-5min': {
    row: '5-minute primary outage',
    impact: 'user-facing errors, requests arriving during the outage',
    claimedReductionPct: 100,
    claim: '~100% fewer errors, failover within 500 ms',
    unit: 'pct',
    measure: (rs, inW) => share(rs.filter(inW), (r) => !r.ok) * 100,
  },
  'rate-limit-429': {
    row: '429 rate limits',
    impact: 'latency penalty: mean latency in the 429 window minus outside it',
    claimedReductionPct: 95,
    claim: '~95% less latency penalty',
    unit: 'ms',
    measure: (rs, inW) => Math.max(0, mean(rs.filter(inW).map((r) => r.latencyMs)) - mean(rs.filter((r) => !inW(r)).map((r) => r.latencyMs))),
  },
  'content-policy': {
    row: 'content-policy blocks',
    impact: 'workflow blockage: requests failed by a content-policy block',
    claimedReductionPct: 80,
    claim: '~80% less workflow blockage',
    unit: 'pct',
    measure: (rs) => share(rs, (r) => r.failure === 'content_policy') * 100,
  },
  'latency-spike': {
    row: 'latency spike (P99 > 10 s)',
    impact: 'P99 latency of requests arriving during the spike',
    claimedReductionPct: 90,
    claim: '~90% less P99 latency, P95 kept < 3 s',
    unit: 'ms',
    measure: (rs, inW) => quantile(sortedLatency(rs.filter(inW)), 0.99),
  },
};

export interface SeedRow {
  scenario: string;
  row: string;
  impact: string;
  unit: 'pct' | 'ms';
  simpleRetry: number;
  switchyard: number;
  reductionPct: number;
  claimedReductionPct: number;
  claim: string;
  /** Extra facts for the row (failover time, P95 in the window). */
  notes: string[];
}

/** The union of the scenario's disruption windows (outages, spikes, quota cuts, brown-outs). */
export function eventWindow(world: World): (r: RequestRecord) => boolean {
  const ws = world.timelines.flatMap((tl) => [...tl.outages, ...tl.spikes, ...tl.rateLimits, ...tl.failureRate]);
  return (r) => ws.some((w) => r.at >= w.start && r.at < w.end);
}

export function seedRow(scenario: string, world: World, simple: readonly RequestRecord[], sw: readonly RequestRecord[], swFailoverMs: number | null): SeedRow | undefined {
  const spec = SEED_ROWS[scenario];
  if (!spec) return undefined;
  const inW = eventWindow(world);
  const a = spec.measure(simple, inW);
  const b = spec.measure(sw, inW);
  const notes: string[] = [];
  if (scenario === 'primary-outage-5min' && swFailoverMs !== null) notes.push(`Switchyard traffic failover ${Math.round(swFailoverMs)} ms (claim: 500 ms)`);
  if (scenario === 'latency-spike') {
    const p95 = quantile(sortedLatency(sw.filter(inW)), 0.95);
    notes.push(`Switchyard P95 during the spike ${Math.round(p95)} ms (claim: < 3000 ms): ${p95 < 3000 ? 'met' : 'not met'}`);
  }
  return {
    scenario,
    row: spec.row,
    impact: spec.impact,
    unit: spec.unit,
    simpleRetry: a,
    switchyard: b,
    reductionPct: a > 0 ? (1 - b / a) * 100 : NaN,
    claimedReductionPct: spec.claimedReductionPct,
    claim: spec.claim,
    notes,
  };
}

const fmt = (v: number, unit: 'pct' | 'ms') => (Number.isFinite(v) ? (unit === 'pct' ? `${v.toFixed(2)}%` : `${Math.round(v)} ms`) : '–');

export function seedTableMd(rows: readonly SeedRow[]): string {
  const lines = [
    '| row | impact measured | simple retry | Switchyard | reduction | seed article claims |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.row} | ${r.impact} | ${fmt(r.simpleRetry, r.unit)} | ${fmt(r.switchyard, r.unit)} | ${Number.isFinite(r.reductionPct) ? `${r.reductionPct.toFixed(1)}%` : '–'} | ${r.claim} |`),
  ];
  const notes = rows.flatMap((r) => r.notes.map((n) => `- ${r.row}: ${n}`));
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}
