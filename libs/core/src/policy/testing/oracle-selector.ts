import type { Clock } from '../../ports/clock';
import type { ArmConfig } from '../../routing/arm';
import type { ArmSelector, CandidateScore, SelectionContext } from '../../routing/arm-selector';
import type { RouteRequest } from '../../routing/route-request';
import { normalCdf } from '../../stats/sampler';
import { expectedNetValue, type ValueParams } from '../../value/net-value';

/** The true expected behaviour of an arm for one request at a moment, known only inside a simulation. */
export interface OracleTruth {
  /** P(ok): the call answers (no error, not rate limited, not blocked). */
  successRate: number;
  /** P(acceptable | ok) for this request's class. */
  quality: number;
  /** ok-call latency is log-normal: ln latency ~ N(ln latencyMedianMs, latencySigma²). */
  latencyMedianMs: number;
  latencySigma: number;
  /** A share of ok calls that take `multiplier` × as long (a heavy tail). */
  tail?: { share: number; multiplier: number };
  /** For this request's actual size. */
  expectedCostUsd: number;
}

/**
 * Simulation only: scores every eligible arm with the same expected net value as ThompsonSelector
 * (value/net-value.ts), on the true state for this very request instead of posterior draws. The
 * bound a learning policy is measured against (regret = oracle value − policy value).
 */
export class OracleSelector implements ArmSelector {
  readonly name = 'oracle';

  constructor(
    private readonly truth: (arm: ArmConfig, now: number, request: RouteRequest) => OracleTruth,
    private readonly clock: Clock,
    private readonly valueFor: (request: RouteRequest) => ValueParams,
    /** The budget pacer's cost weight, as the adaptive policy gets it (a one-step oracle knows no more of the future budget). */
    private readonly costWeight: (tenant: string) => number = () => 1,
  ) {}

  select(ctx: SelectionContext, eligible: readonly ArmConfig[]) {
    const now = this.clock.now();
    const request = ctx.request;
    const value = this.valueFor(request);
    const slo = request.routing.latencySloMs;
    const costWeight = Math.max(1, this.costWeight(request.tenant));
    let best = 0;
    const candidates: CandidateScore[] = eligible.map((arm) => {
      const t = this.truth(arm, now, request);
      const share = t.tail?.share ?? 0;
      const multiplier = t.tail?.multiplier ?? 1;
      const cdf = (median: number) => (slo === undefined ? 1 : normalCdf(Math.log(slo / median) / t.latencySigma));
      const withinSlo = (1 - share) * cdf(t.latencyMedianMs) + share * cdf(t.latencyMedianMs * multiplier);
      const meanLatencyMs = (1 - share + share * multiplier) * t.latencyMedianMs * Math.exp(0.5 * t.latencySigma * t.latencySigma);
      const u = expectedNetValue({ pGood: t.successRate * withinSlo * t.quality, expectedCostUsd: t.expectedCostUsd, expectedLatencyMs: meanLatencyMs }, value, costWeight);
      return {
        arm: arm.id,
        utility: u,
        sampledSuccess: t.successRate * withinSlo,
        sampledQuality: t.quality,
        sampledLatencyMs: meanLatencyMs,
        expectedCostUsd: t.expectedCostUsd,
        latencyCostUsd: (value.latencyUsdPerSecond * meanLatencyMs) / 1000,
      };
    });
    candidates.forEach((c, i) => {
      if ((c.utility as number) > (candidates[best].utility as number)) best = i;
    });
    return { chosen: eligible[best], candidates, reason: 'oracle: highest true expected net value', exploration: false, value };
  }
}
