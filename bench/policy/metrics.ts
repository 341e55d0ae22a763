import type { RequestRecord, RunResult } from './simulate';
import type { World } from './world';

export interface SeedMetrics {
  requests: number;
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  costPerSuccessUsd: number;
  utility: number;
  /** Mean realised net value per request (value/net-value.ts), USD: what the router maximises. */
  netValuePerRequest: number;
  /** Oracle net value − this policy's, per request, USD. */
  regretPerRequest: number;
  budgetOvershootPct: number;
  failoverMs: number | null;
  /** Time from the end of an outage until the failed arm(s) are back in rotation (see recoveryMs). */
  recoveryMs: number | null;
  /** switchyard only: share of first-attempt decisions not for the posterior-mean choice. */
  explorationShare: number | null;
  /** switchyard only: share of first-attempt decisions flagged exploration (exploration floor, half-open probes). */
  explorationFloorShare: number | null;
  /**
   * Policies with a posterior only: the non-posterior-mean share in stationary stretches — first-attempt
   * decisions for another arm than the policy's own posterior-mean choice, among those made with no
   * scenario event in the last STATIONARY_AFTER_MS (stationary.ts).
   */
  stationaryExplorationShare: number | null;
  /** Share of requests refused for budget (final failure `budget_exceeded`). */
  budgetRefusedShare: number;
  /** Share of requests that failed, per final error kind (not in METRIC_KEYS: no CI). */
  failureKinds: Record<string, number>;
}

export const METRIC_KEYS = ['requests', 'errorRate', 'p50Ms', 'p95Ms', 'p99Ms', 'costPerSuccessUsd', 'utility', 'netValuePerRequest', 'regretPerRequest', 'budgetOvershootPct', 'failoverMs', 'recoveryMs', 'explorationShare', 'explorationFloorShare', 'stationaryExplorationShare', 'budgetRefusedShare'] as const;

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Share bins for failover: 1 s. A bin without any request does not count. */
const FAILOVER_BIN_MS = 1_000;
const FAILOVER_SHARE = 0.05;

/**
 * Failover time of one outage: from its start to the start of the first 1 s bin in which fewer
 * than 5% of first attempts went to a failed arm; the outage's length when that never happens
 * (censored). Averaged over the seed's outages; null when the seed has none.
 */
export function failoverMs(records: readonly RequestRecord[], world: World): number | null {
  if (world.outageWindows.length === 0) return null;
  const times: number[] = [];
  for (const w of world.outageWindows) {
    const failed = new Set(w.arms);
    const bins = Math.ceil((w.end - w.start) / FAILOVER_BIN_MS);
    const total = new Array<number>(bins).fill(0);
    const onFailed = new Array<number>(bins).fill(0);
    for (const r of records) {
      if (r.at < w.start || r.at >= w.end) continue;
      const b = Math.floor((r.at - w.start) / FAILOVER_BIN_MS);
      total[b]++;
      if (failed.has(r.firstArm)) onFailed[b]++;
    }
    let found = w.end - w.start;
    for (let b = 0; b < bins; b++) {
      if (total[b] > 0 && onFailed[b] / total[b] < FAILOVER_SHARE) {
        found = b * FAILOVER_BIN_MS;
        break;
      }
    }
    times.push(found);
  }
  return times.reduce((a, b) => a + b, 0) / times.length;
}

/** Share of traffic before an outage that counts as "in rotation" (below it the arm is not judged). */
const ROTATION_MIN_SHARE = 0.05;
const ROTATION_BEFORE_MS = 120_000;
const ROTATION_WINDOW_MS = 30_000;
const ROTATION_STEP_MS = 1_000;

/**
 * Back in rotation: per outage, the time from its end until the failed arm(s) get, over a 30 s
 * window, at least half their steady share: the smaller of the share this policy gave them in the
 * 2 minutes before the outage (a policy is judged against itself) and the share the oracle gives
 * them in the 2 minutes after it (an arm that got worse meanwhile — a quality drop, a price change
 * elsewhere — is not owed its old traffic). Outages where either share is < 5 %, or that end less
 * than 30 s before the run does, are not judged; one never back is censored at the end of the run.
 * Mean over the seed's judged outages; null when none.
 */
export function recoveryMs(records: readonly RequestRecord[], world: World, durationMs: number, oracle: readonly RequestRecord[] = records): number | null {
  const times: number[] = [];
  const share = (arms: Set<number>, from: number, to: number, of = records) => {
    let n = 0;
    let on = 0;
    for (const r of of) {
      if (r.at < from || r.at >= to) continue;
      n++;
      if (arms.has(r.firstArm)) on++;
    }
    return n ? on / n : NaN;
  };
  for (const w of world.outageWindows) {
    if (w.end + ROTATION_WINDOW_MS > durationMs) continue;
    const arms = new Set(w.arms);
    const steady = Math.min(share(arms, w.start - ROTATION_BEFORE_MS, w.start), share(arms, w.end, w.end + ROTATION_BEFORE_MS, oracle));
    if (!(steady >= ROTATION_MIN_SHARE)) continue;
    let back = durationMs - w.end;
    for (let t = w.end; t + ROTATION_WINDOW_MS <= durationMs; t += ROTATION_STEP_MS) {
      if (share(arms, t, t + ROTATION_WINDOW_MS) >= 0.5 * steady) {
        back = t - w.end;
        break;
      }
    }
    times.push(back);
  }
  return times.length ? times.reduce((a, b) => a + b, 0) / times.length : null;
}

/** Metrics of one run; without an oracle run (live runs) regret is NaN (reported as null). */
export function seedMetrics(run: Pick<RunResult, 'records' | 'budgetOvershootPct' | 'exploration'>, oracle: Pick<RunResult, 'records'> | undefined, world: World, durationMs = Infinity): SeedMetrics {
  const rs = run.records;
  const n = rs.length;
  const lat = Float64Array.from(rs, (r) => r.latencyMs).sort();
  let failures = 0;
  let oks = 0;
  let cost = 0;
  let utility = 0;
  let netValue = 0;
  let regret = 0;
  const failureKinds: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = rs[i];
    if (!r.ok) failureKinds[r.failure ?? 'failed'] = (failureKinds[r.failure ?? 'failed'] ?? 0) + 1 / n;
    if (!r.ok) failures++;
    else oks++;
    cost += r.costUsd;
    utility += r.utility;
    netValue += r.netValue;
    if (oracle) regret += oracle.records[i].netValue - r.netValue;
  }
  return {
    requests: n,
    errorRate: failures / n,
    p50Ms: quantile(lat, 0.5),
    p95Ms: quantile(lat, 0.95),
    p99Ms: quantile(lat, 0.99),
    costPerSuccessUsd: oks ? cost / oks : NaN,
    utility: utility / n,
    netValuePerRequest: netValue / n,
    regretPerRequest: oracle ? regret / n : NaN,
    budgetOvershootPct: run.budgetOvershootPct,
    failoverMs: failoverMs(rs, world),
    recoveryMs: Number.isFinite(durationMs) ? recoveryMs(rs, world, durationMs, oracle?.records) : null,
    explorationShare: run.exploration?.decisions ? run.exploration.explored / run.exploration.decisions : null,
    explorationFloorShare: run.exploration?.decisions ? run.exploration.flagged / run.exploration.decisions : null,
    stationaryExplorationShare: run.exploration?.stationaryDecisions ? run.exploration.stationaryExplored / run.exploration.stationaryDecisions : null,
    budgetRefusedShare: failureKinds.budget_exceeded ?? 0,
    failureKinds,
  };
}

/** Two-sided 97.5% Student t quantiles for df = 1..30; 1.96 beyond. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function meanCi(xs: readonly number[]): { mean: number; ci95: number } {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { mean: NaN, ci95: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  if (v.length < 2) return { mean, ci95: NaN };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  const t = T975[v.length - 2] ?? 1.96;
  return { mean, ci95: (t * sd) / Math.sqrt(v.length) };
}

export type PolicySummary = { [K in (typeof METRIC_KEYS)[number]]: number | null } & { ci95: Record<string, number | null>; failureKinds: Record<string, number> };

const round = (x: number, digits: number) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : null);

/** Mean over seeds of each per-seed metric, and the 95% CI half-width over seeds. */
export function summarise(perSeed: readonly SeedMetrics[]): PolicySummary {
  const out: Record<string, number | null> = {};
  const ci: Record<string, number | null> = {};
  for (const k of METRIC_KEYS) {
    const values = perSeed.map((m) => m[k]).filter((x): x is number => x !== null);
    if (values.length === 0) {
      out[k] = null;
      ci[k] = null;
      continue;
    }
    const { mean, ci95 } = meanCi(values);
    out[k] = round(mean, 6);
    ci[k] = round(ci95, 4);
  }
  const kinds: Record<string, number> = {};
  for (const m of perSeed) for (const [k, v] of Object.entries(m.failureKinds)) kinds[k] = (kinds[k] ?? 0) + v / perSeed.length;
  for (const k of Object.keys(kinds)) kinds[k] = Number(kinds[k].toPrecision(4));
  return { ...(out as Omit<PolicySummary, 'ci95' | 'failureKinds'>), ci95: ci, failureKinds: kinds };
}

/** Share of the requests with index in [from, to) whose first attempt went to arm `arm` (NaN when none). */
export function firstAttemptShare(records: readonly RequestRecord[], arm: number, from: number, to: number): number {
  let n = 0;
  let on = 0;
  for (let i = Math.max(0, from); i < Math.min(records.length, to); i++) {
    n++;
    if (records[i].firstArm === arm) on++;
  }
  return n ? on / n : NaN;
}

/** Requests after an arm joins the routing table over which its onboarding is judged. */
export const ONBOARDING_REQUESTS = 200;

/**
 * A new arm's traffic: its first-attempt share over the ONBOARDING_REQUESTS requests after it joins
 * (`onboarding`), and from then until it leaves or the run ends (`after`: its steady share, once
 * exploration of it is over).
 */
export function newArmShares(records: readonly RequestRecord[], arm: number, addedAt: number, removedAt = records.length): { onboarding: number; after: number } {
  const end = Math.min(removedAt, records.length);
  return { onboarding: firstAttemptShare(records, arm, addedAt, Math.min(end, addedAt + ONBOARDING_REQUESTS)), after: firstAttemptShare(records, arm, addedAt + ONBOARDING_REQUESTS, end) };
}
