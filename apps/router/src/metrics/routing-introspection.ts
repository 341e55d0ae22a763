/**
 * What the adaptive policy and the budget guard can tell /health/routing and /metrics. Both are
 * optional: the router runs with a plain selector and no budget caps, and the endpoints fill only
 * what a provider gives. The shapes are structural, so `ThompsonSelector.snapshot()` and
 * `BudgetGuard.headroom(tenant?)` plug in as they are:
 *
 *   runtime.introspection = { policySnapshot: () => selector.snapshot(), budgetHeadroom: (t) => guard.headroom(t) };
 */
export interface RoutingIntrospection {
  /** Per-arm posterior view (ThompsonSelector.snapshot()). */
  policySnapshot?(): readonly ArmPolicyView[];
  /** Headroom per cap; with a tenant: that tenant's caps plus the global ones; without: the global caps. */
  budgetHeadroom?(tenant?: string): readonly BudgetHeadroomLine[];
}

/** The fields of an arm's policy snapshot the endpoints read; all but `arm` may be missing. */
export interface ArmPolicyView {
  arm: string;
  observations?: number;
  /** Posterior mean of the success probability. */
  successMean?: number;
  /** Posterior mean of P(acceptable | ok), from answer checks and feedback. */
  qualityMean?: number;
  qualityEvidence?: number;
  /** Per request class. */
  classes?: Record<string, { observations: number; successMean: number; qualityMean?: number; qualityEvidence?: number; p95Ms?: number }>;
  latencyMedianMs?: number;
  latencyP95EstimateMs?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  expectedCostUsd?: number;
  costPerSuccessUsd?: number;
  selectionsLastMinute?: number;
  selectionShareLastMinute?: number;
  lastObservedAt?: number;
}

/** One budget cap (a key such as `tenant:acme` or `global`, in one window) and what it has used. */
export interface BudgetHeadroomLine {
  key: string;
  /** e.g. `tenant acme`, `global`. */
  scope?: string;
  /** minute | hour | day | month */
  window: string;
  windowId?: string;
  capUsd: number;
  usedUsd: number;
  remainingUsd: number;
  /** The pacer's weight on cost for this cap (1 = no pressure). */
  costWeight?: number;
}

/** Tenant a budget line belongs to (`tenant:acme` → `acme`), or undefined for the global caps. */
export function tenantOfLine(line: Pick<BudgetHeadroomLine, 'key'>): string | undefined {
  return line.key.startsWith('tenant:') ? line.key.slice('tenant:'.length) : undefined;
}
