import type { BreakerSnapshot, CredentialSnapshot } from '@switchyard/core';
import { tenantOfLine, type ArmPolicyView, type BudgetHeadroomLine, type RoutingIntrospection } from '../metrics/routing-introspection';
import type { SelectionWindow } from '../metrics/selection-window';

/** GET /health/routing (documented in docs/metrics.md). Times are ISO-8601 strings. */
export interface RoutingReport {
  at: string;
  /** True while at least one arm's breaker is not open (what /health/ready checks). */
  available: boolean;
  /** Whether an adaptive policy and a budget guard report here (fields below are null otherwise). */
  sources: { policy: boolean; budget: boolean };
  arms: ArmReport[];
  /** null when no budget guard is wired. */
  budget: { global: BudgetLineReport[]; tenants: Record<string, BudgetLineReport[]> } | null;
}

export interface ArmReport {
  arm: string;
  provider: string;
  model: string;
  breaker: {
    state: 'closed' | 'half_open' | 'open';
    since: string;
    /** Failures / observedCalls in the breaker's sliding window (0 with none). */
    failureRate: number;
    /** This process's own calls in the window. */
    calls: number;
    /** Every call the window judges: this process's, other replicas' and the start-up replay's (each at the time it happened). */
    observedCalls: number;
    consecutiveFailures: number;
    /** Set while open. */
    openUntil: string | null;
    /** Set while a 429 cooldown blocks the arm. */
    coolingDownUntil: string | null;
  };
  /**
   * `auth_failed` while the provider refuses the arm's credentials (401/403): the arm is out of
   * rotation for every class from `since` until a probe (`nextProbeAt`, one call a minute) answers
   * ok or the routing table is reloaded.
   */
  credentials: { state: 'ok' | 'auth_failed'; since: string | null; status: number | null; nextProbeAt: string | null };
  /** From the adaptive policy's posterior; null when no policy reports. */
  policy: {
    observations: number | null;
    successMean: number | null;
    /** P(acceptable | ok) from answer checks and feedback, over all classes; per class below. */
    qualityMean: number | null;
    /** Per request class: outcomes seen, success and quality means, feedback behind the quality. */
    classes: Record<string, { observations: number; successMean: number; qualityMean: number | null; qualityEvidence: number | null }>;
    p50Ms: number | null;
    p95Ms: number | null;
    p99Ms: number | null;
    expectedCostUsd: number | null;
    costPerSuccessUsd: number | null;
    lastObservedAt: string | null;
  } | null;
  selections: {
    /** Decisions choosing this arm over the last minute. */
    lastMinute: number;
    /** Its share of all decisions over the last minute (0 when there were none). */
    shareLastMinute: number;
    /** `policy` when the policy reported it, `events` when counted from decision events here. */
    source: 'policy' | 'events';
  };
}

export interface BudgetLineReport {
  window: string;
  windowId: string | null;
  capUsd: number;
  usedUsd: number;
  remainingUsd: number;
  /** The pacer's weight on cost for this cap: 1 while spend keeps to an even pace through the window. */
  costWeight: number | null;
}

export interface RoutingReportInput {
  arms: readonly { id: string; provider: string; model: string }[];
  breakers: (arm: string) => BreakerSnapshot;
  /** Omitted: every arm's credentials count as ok. */
  credentials?: (arm: string) => CredentialSnapshot;
  selections: SelectionWindow;
  introspection: RoutingIntrospection;
  /** Tenants to report budget headroom for (those seen in traffic). */
  tenants: () => readonly string[];
  now: number;
}

export function buildRoutingReport(input: RoutingReportInput): RoutingReport {
  const { introspection, now } = input;
  const policy = new Map<string, ArmPolicyView>((introspection.policySnapshot?.() ?? []).map((s) => [s.arm, s]));
  const shares = input.selections.shares(now);
  const arms = input.arms.map((a): ArmReport => {
    const b = input.breakers(a.id);
    const p = policy.get(a.id);
    const counted = shares.get(a.id);
    const c = input.credentials?.(a.id);
    const fromPolicy = p?.selectionShareLastMinute !== undefined && p.selectionsLastMinute !== undefined;
    return {
      arm: a.id,
      provider: a.provider,
      model: a.model,
      breaker: {
        state: b.state,
        since: iso(b.since),
        failureRate: round(b.failureRate),
        calls: b.calls,
        observedCalls: b.observedCalls,
        consecutiveFailures: b.consecutiveFailures,
        openUntil: b.openUntil === undefined ? null : iso(b.openUntil),
        coolingDownUntil: b.coolingDownUntil === undefined ? null : iso(b.coolingDownUntil),
      },
      credentials: {
        state: c?.state ?? 'ok',
        since: c?.since === undefined ? null : iso(c.since),
        status: c?.status ?? null,
        nextProbeAt: c?.nextProbeAt === undefined ? null : iso(c.nextProbeAt),
      },
      policy: p
        ? {
            observations: p.observations ?? null,
            successMean: num(p.successMean),
            qualityMean: num(p.qualityMean),
            classes: Object.fromEntries(
              Object.entries(p.classes ?? {}).map(([name, c]) => [name, { observations: c.observations, successMean: num(c.successMean)!, qualityMean: num(c.qualityMean), qualityEvidence: num(c.qualityEvidence) }]),
            ),
            p50Ms: num(p.p50Ms),
            p95Ms: num(p.p95Ms),
            p99Ms: num(p.p99Ms),
            expectedCostUsd: num(p.expectedCostUsd, 8),
            costPerSuccessUsd: num(p.costPerSuccessUsd, 8),
            lastObservedAt: p.lastObservedAt === undefined ? null : iso(p.lastObservedAt),
          }
        : null,
      selections: fromPolicy
        ? { lastMinute: p.selectionsLastMinute!, shareLastMinute: round(p.selectionShareLastMinute!), source: 'policy' }
        : { lastMinute: counted?.selections ?? 0, shareLastMinute: round(counted?.share ?? 0), source: 'events' },
    };
  });
  const headroom = introspection.budgetHeadroom?.bind(introspection);
  let budget: RoutingReport['budget'] = null;
  if (headroom) {
    const tenants: Record<string, BudgetLineReport[]> = {};
    for (const tenant of input.tenants()) tenants[tenant] = headroom(tenant).filter((l) => tenantOfLine(l) === tenant).map(line);
    budget = { global: headroom().filter((l) => tenantOfLine(l) === undefined).map(line), tenants };
  }
  return {
    at: iso(now),
    available: arms.some((a) => a.breaker.state !== 'open'),
    sources: { policy: Boolean(introspection.policySnapshot), budget: Boolean(headroom) },
    arms,
    budget,
  };
}

function line(l: BudgetHeadroomLine): BudgetLineReport {
  return { window: l.window, windowId: l.windowId ?? null, capUsd: l.capUsd, usedUsd: round(l.usedUsd, 8), remainingUsd: round(l.remainingUsd, 8), costWeight: l.costWeight === undefined ? null : round(l.costWeight, 4) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function num(x: number | undefined, digits = 4): number | null {
  return x === undefined || !Number.isFinite(x) ? null : round(x, digits);
}
