import type { Clock } from '../../ports/clock';
import type { ArmConfig } from '../../routing/arm';
import type { ArmSelector, CandidateScore, SelectionContext } from '../../routing/arm-selector';
import type { Objective } from '../../routing/route-request';
import { normalCdf, Z95 } from '../../stats/sampler';
import { MIN_SUCCESS, OBJECTIVE_WEIGHTS, utility, type ObjectiveWeights } from '../objectives';

/** The true expected behaviour of an arm at a moment, known only inside a simulation. */
export interface OracleTruth {
  successRate: number;
  /** ok-call latency is log-normal: ln latency ~ N(ln latencyMedianMs, latencySigma²). */
  latencyMedianMs: number;
  latencySigma: number;
  expectedCostUsd: number;
}

/**
 * Simulation only: scores every eligible arm with the same utility as ThompsonSelector, but on
 * the true current state instead of posterior samples. The upper bound a learning policy is
 * measured against (regret = oracle utility − policy utility).
 */
export class OracleSelector implements ArmSelector {
  readonly name = 'oracle';
  private readonly weights: Record<Objective, ObjectiveWeights>;

  constructor(
    private readonly truth: (arm: ArmConfig, now: number) => OracleTruth,
    private readonly clock: Clock,
    objectives: Partial<Record<Objective, ObjectiveWeights>> = {},
  ) {
    this.weights = { ...OBJECTIVE_WEIGHTS, ...objectives };
  }

  select(ctx: SelectionContext, eligible: readonly ArmConfig[]) {
    const now = this.clock.now();
    const { objective, latencySloMs } = ctx.request.routing;
    const truths = eligible.map((arm) => this.truth(arm, now));
    const p95 = truths.map((t) => t.latencyMedianMs * Math.exp(Z95 * t.latencySigma));
    const latencyRef = Math.min(...p95);
    const costRef = Math.min(...truths.map((t) => t.expectedCostUsd));
    const candidates: CandidateScore[] = truths.map((t, i) => {
      const withinSlo = latencySloMs === undefined ? 1 : normalCdf(Math.log(latencySloMs / t.latencyMedianMs) / t.latencySigma);
      const success = t.successRate * withinSlo;
      const u = utility(this.weights[objective] ?? this.weights.balanced, {
        success,
        p95Ms: p95[i],
        latencyRefMs: latencyRef,
        costPerSuccessUsd: t.expectedCostUsd / Math.max(MIN_SUCCESS, success),
        costRefUsd: costRef,
        costWeight: 1,
      });
      return { arm: eligible[i].id, utility: u, sampledSuccess: success, sampledLatencyMs: p95[i], expectedCostUsd: t.expectedCostUsd };
    });
    let best = 0;
    candidates.forEach((c, i) => {
      if ((c.utility as number) > (candidates[best].utility as number)) best = i;
    });
    return { chosen: eligible[best], candidates, reason: `oracle: highest true ${objective} utility`, exploration: false };
  }
}
