import type { AttemptOutcome, OutcomeSink } from '../outcome/attempt-outcome';
import type { QualityObservation, QualitySink } from '../outcome/quality-observation';
import type { Clock } from '../ports/clock';
import type { Random } from '../ports/random';
import type { ArmConfig } from '../routing/arm';
import type { ArmStateHolder } from '../routing/arm-reload';
import type { ArmSelector, CandidateScore, Decision, SelectionContext } from '../routing/arm-selector';
import type { EligibilityRule } from '../routing/eligibility';
import type { RouteRequest } from '../routing/route-request';
import { estimatePromptTokens } from '../routing/token-estimate';
import type { LatencyEstimator } from '../stats/latency-estimator';
import { RollingCount } from '../stats/rolling-count';
import { Sampler } from '../stats/sampler';
import { expectedNetValue, resolveValue, type ValueParams } from '../value/net-value';
import { ArmLearner } from './arm-learner';
import { explainChoice, explorationReason, pricedReason, probeReason } from './decision-reasons';
import { ClassTraffic, explorationWorth } from './exploration-value';
import { maxCostRule, qualityFloorRule } from './eligibility-rules';
import { formatUsd } from './format';
import { policySnapshot, type ArmPolicySnapshot } from './health-snapshot';
import { DEFAULT_PRIORS, type PolicyPriors } from './priors';
import { ValueScorer } from './value-scorer';

export type { ArmPolicySnapshot } from './health-snapshot';

export interface ThompsonOptions {
  clock: Clock;
  random: Random;
  /** Arms known up front (snapshot lists them before their first decision). */
  arms?: readonly ArmConfig[];
  /** γ per observation (default 0.997: a memory of ≈ 333 outcomes per arm × class). */
  discount?: number;
  /**
   * Exploration floor: share of decisions that pick an eligible arm at random instead of by utility
   * (default 0.02). The exploration arm is drawn in proportion to (cheapest expected cost / its
   * expected cost)^`explorationCostExponent` × (`explorationBaseWeight` + its uncertainty), where
   * uncertainty = 1/(1 + effective evidence/`explorationEvidenceScale`) and effective evidence is the
   * smaller of the success and latency evidence after staleness fading: probes go mostly to cheap arms whose posterior is thin
   * or stale (e.g. just reset by a shift alarm), rarely to a well-known dear one.
   */
  explorationRate?: number;
  /**
   * Priced exploration (exploration-value.ts): a draw that favours an arm the posterior means do
   * not is followed only while what further calls to it could teach, over the requests of its class
   * expected within this horizon, is worth more than they cost now. Default: the time constant of
   * staleness (1/−ln `stalenessDecayPerMinute` minutes, ≈ 19.5 min at 0.95), as long as a lesson
   * stays trusted; 0 turns the rule off (plain Thompson sampling).
   */
  explorationHorizonMs?: number;
  /** Default 1 (weight ∝ 1/cost); 0 makes the cost irrelevant. */
  explorationCostExponent?: number;
  /** Default 0.25; with a large value the uncertainty term stops mattering. */
  explorationBaseWeight?: number;
  /** Default 20 pseudo-observations. */
  explorationEvidenceScale?: number;
  /**
   * Staleness: evidence kept per minute without an observation (default 0.95, i.e. half-life
   * ≈ 13.5 min), counted after `stalenessGraceMs` (default 0) of idleness.
   */
  stalenessDecayPerMinute?: number;
  stalenessGraceMs?: number;
  /** Pseudo-observations a new request class inherits from the arm's global posterior (default 20). */
  classWarmStartCap?: number;
  /** Classes beyond this share the arm's global posterior (bounds memory; default 64). */
  maxClassesPerArm?: number;
  priors?: Partial<PolicyPriors>;
  /** Per-arm priors from the routing table, by arm id. */
  armPriors?: Readonly<Record<string, Partial<PolicyPriors>>>;
  /** Declared value per request class (routing table `classes:`); requests may override. */
  classValues?: Readonly<Record<string, Partial<ValueParams>>>;
  /** Quality floor per request class: see qualityFloorRule. */
  minQuality?: Readonly<Record<string, number>>;
  /** The budget pacer (BudgetGuard.costWeight): multiplies the cost term, ≥ 1. */
  costWeight?: (tenant: string) => number;
  /**
   * Arms whose circuit breaker is half-open (BreakerRegistry.halfOpen): the next decision that may
   * use one sends it the probe, whatever its posterior says. Without this, a recovered arm whose
   * posterior still shows the outage would wait, half-open, for the exploration floor to pick it.
   * A probe counts as exploration: each one sent outside a floor draw skips the next floor draw, so
   * probes and floor together stay at `explorationRate`.
   */
  halfOpen?: (arm: string) => boolean;
  tokenEwmaWeight?: number;
  /** Two-sided CUSUM shift detection on success (defaults: threshold ln 10⁴, upThreshold ln 100, ratio 0.5); false disables it. */
  shiftDetection?: { threshold: number; ratio: number; upThreshold: number } | false;
  /** Two-sided CUSUM on ln latency (defaults: threshold 8, slack 0.5 σ); false disables it. */
  latencyShiftDetection?: { threshold: number; slack: number } | false;
  /** γ per quality score (default 0.99) and the quality CUSUM (see PosteriorSettings). */
  qualityDiscount?: number;
  qualityShiftDetection?: { threshold: number; ratio: number; upThreshold: number } | false;
  /** Latency quantiles cover the last one to two windows (default 5 min). */
  sketchWindowMs?: number;
  /** Expected costs are floored here so free arms keep a finite cost ratio (default $1e-6). */
  costFloorUsd?: number;
  /** How many outcome ids `record` remembers for de-duplication (default 10 000). */
  dedupeCapacity?: number;
  /**
   * Pseudo-observations behind the population prior of an arm added at runtime (default 20): it
   * starts believing it is as reliable as the arms already known (their mean P(ok)), for about
   * this many outcomes. See `updateArms`.
   */
  populationPriorWeight?: number;
}

/**
 * Thompson sampling over (arm, request class) posteriors: one posterior draw per eligible arm,
 * scored by its expected net value (value/net-value.ts, the request's objective preset and class
 * value), argmax wins. An exploration floor and staleness inflation keep idle or recovered arms in
 * play. The selector composes the pieces, one job each: the learner (arm-learner.ts: posterior
 * updates from every attempt, locally or broadcast from other replicas, idempotent by outcome id;
 * the LatencyEstimator hedging reads), the value scorer (value-scorer.ts), its eligibility rules
 * (eligibility-rules.ts) and the health snapshot (health-snapshot.ts).
 */
export class ThompsonSelector implements ArmSelector, OutcomeSink, QualitySink, LatencyEstimator, ArmStateHolder {
  readonly name = 'thompson';
  /** What the policy has learnt per arm and class. */
  readonly learner: ArmLearner;
  /** Scores an arm's posterior draw as net value. */
  readonly scorer: ValueScorer;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly explorationRate: number;
  private readonly explorationCostExponent: number;
  private readonly costFloorUsd: number;
  private readonly selections: RollingCount;
  /** Half-open probes sent outside an exploration draw, each to be repaid by skipping one. */
  private probeCredit = 0;
  /** Requests per class over the exploration horizon (undefined: priced exploration off). */
  private readonly traffic: ClassTraffic | undefined;

  constructor(private options: ThompsonOptions) {
    this.clock = options.clock;
    this.random = options.random;
    const sampler = new Sampler(options.random);
    const settings = {
      discount: options.discount ?? 0.997,
      stalenessDecayPerMinute: options.stalenessDecayPerMinute ?? 0.95,
      stalenessGraceMs: options.stalenessGraceMs ?? 0,
      tokenEwmaWeight: options.tokenEwmaWeight ?? 0.1,
      shiftDetection: options.shiftDetection ?? { threshold: Math.log(10_000), ratio: 0.5, upThreshold: Math.log(100) },
      latencyShiftDetection: options.latencyShiftDetection ?? { threshold: 8, slack: 0.5 },
      qualityDiscount: options.qualityDiscount,
      qualityShiftDetection: options.qualityShiftDetection,
    };
    this.explorationCostExponent = options.explorationCostExponent ?? 1;
    this.explorationRate = options.explorationRate ?? 0.02;
    this.costFloorUsd = options.costFloorUsd ?? 1e-6;
    this.selections = new RollingCount(options.clock, 60_000);
    const horizon = options.explorationHorizonMs ?? -60_000 / Math.log(settings.stalenessDecayPerMinute);
    this.traffic = horizon > 0 ? new ClassTraffic(horizon) : undefined;
    this.learner = new ArmLearner({
      clock: options.clock,
      settings,
      priors: { ...DEFAULT_PRIORS, ...options.priors },
      armPriors: options.armPriors,
      warmStartCap: options.classWarmStartCap ?? 20,
      maxClasses: options.maxClassesPerArm ?? 64,
      sketchWindowMs: options.sketchWindowMs ?? 5 * 60_000,
      dedupeCapacity: options.dedupeCapacity ?? 10_000,
      populationPriorWeight: options.populationPriorWeight ?? 20,
    });
    this.scorer = new ValueScorer(this.learner, sampler, {
      explorationBaseWeight: options.explorationBaseWeight ?? 0.25,
      explorationEvidenceScale: options.explorationEvidenceScale ?? 20,
    });
    for (const arm of options.arms ?? []) this.learner.stateFor(arm.id, arm);
  }

  /** The value parameters a request is scored with: request over class over objective preset. */
  valueFor(request: RouteRequest): ValueParams {
    const { objective, valueUsd, latencyUsdPerSecond } = request.routing;
    return resolveValue(objective, this.options.classValues?.[request.class], { valueUsd, latencyUsdPerSecond });
  }

  /** The budget pacer's multiplier of the cost term for the request's tenant (≥ 1). */
  costWeightFor(request: RouteRequest): number {
    return Math.max(1, this.options.costWeight?.(request.tenant) ?? 1);
  }

  select(ctx: SelectionContext, eligible: readonly ArmConfig[]): Omit<Decision, 'excluded'> {
    const request = ctx.request;
    const now = this.clock.now();
    const objective = request.routing.objective;
    const value = this.valueFor(request);
    const costWeight = this.costWeightFor(request);
    const slo = request.routing.latencySloMs;
    const lnSlo = slo !== undefined && slo > 0 ? Math.log(slo) : undefined;
    const maxCost = request.routing.maxCostUsd;
    const promptTokens = estimatePromptTokens(request.messages);

    const n = eligible.length;
    const scratch = this.scorer.scratchFor(n);
    const { success, quality, latencyMs, p95, cost, affordable, uncertainty } = scratch;
    const maxTokens = request.params.maxTokens;
    let costRef = Infinity;
    let affordableCount = 0;
    for (let i = 0; i < n; i++) {
      this.scorer.scoreArm(scratch, i, eligible[i], request.class, now, slo, lnSlo, promptTokens, maxTokens);
      affordable[i] = maxCost === undefined || cost[i] <= maxCost ? 1 : 0;
      if (!affordable[i]) continue;
      affordableCount++;
      costRef = Math.min(costRef, Math.max(this.costFloorUsd, cost[i]));
    }

    const candidates: CandidateScore[] = new Array(n);
    let best = -1;
    let second = -1;
    for (let i = 0; i < n; i++) {
      const u = affordable[i] ? expectedNetValue({ pGood: success[i] * quality[i], expectedCostUsd: cost[i], expectedLatencyMs: latencyMs[i] }, value, costWeight) : -Infinity;
      candidates[i] = {
        arm: eligible[i].id,
        utility: u,
        sampledSuccess: success[i],
        sampledQuality: quality[i],
        sampledLatencyMs: p95[i],
        expectedCostUsd: cost[i],
        latencyCostUsd: (value.latencyUsdPerSecond * latencyMs[i]) / 1000,
      };
      if (best < 0 || u > (candidates[best].utility as number)) {
        second = best;
        best = i;
      } else if (second < 0 || u > (candidates[second].utility as number)) {
        second = i;
      }
    }

    const horizon = this.traffic?.add(request.class, now) ?? 0;
    // Priced exploration: the draws' favourite against the means' favourite.
    const draw = best;
    let priced: { believed: number; gap: number; worth: number } | undefined;
    if (this.traffic && best >= 0 && affordable[best]) {
      const { meanGood } = scratch;
      let believed = -1;
      let believedValue = -Infinity;
      for (let i = 0; i < n; i++) {
        if (!affordable[i]) continue;
        const u = expectedNetValue({ pGood: meanGood[i], expectedCostUsd: cost[i], expectedLatencyMs: latencyMs[i] }, value, costWeight);
        if (u > believedValue) {
          believedValue = u;
          believed = i;
        }
      }
      if (believed !== best) {
        const gap = believedValue - expectedNetValue({ pGood: meanGood[best], expectedCostUsd: cost[best], expectedLatencyMs: latencyMs[best] }, value, costWeight);
        const worth = explorationWorth(this.scorer.lessons(eligible[best], request.class, now, lnSlo, latencyMs[best], value), gap, horizon);
        if (!(worth > 0)) {
          priced = { believed, gap, worth };
          best = believed;
        }
      }
    }

    // One uniform draw per decision whatever happens, so a seed replays the same decisions.
    let explore = this.random.next() < this.explorationRate && affordableCount > 1;
    const probe = affordableCount > 0 ? this.probeFor(eligible, affordable) : -1;
    if (probe < 0 && explore && this.probeCredit > 0) {
      // A half-open probe already took this exploration slot: the floor stays at its rate.
      this.probeCredit--;
      explore = false;
    } else if (probe >= 0 && !explore) {
      this.probeCredit++;
    }
    let chosen = best;
    let reason: string;
    if (affordableCount === 0) {
      chosen = 0;
      for (let i = 1; i < n; i++) if (cost[i] < cost[chosen]) chosen = i;
      reason = `no eligible arm fits maxCostUsd ${formatUsd(maxCost ?? 0)}; chose the lowest expected cost ${formatUsd(cost[chosen])}`;
    } else if (explore) {
      // Weighted draw: cheaper and less certain (thin or stale evidence) arms are probed more.
      let total = 0;
      for (let i = 0; i < n; i++) {
        if (!affordable[i]) continue;
        // Under a binding budget (cost weight > 1) only arms still worth their cost at its price are explored.
        const priced = costWeight > 1 && i !== best && !((candidates[i].utility as number) > 0);
        uncertainty[i] *= priced ? 0 : Math.pow(costRef / Math.max(this.costFloorUsd, cost[i]), this.explorationCostExponent);
        total += uncertainty[i];
      }
      let pick = this.random.next() * total;
      for (let i = 0; i < n; i++) {
        if (!affordable[i] || uncertainty[i] === 0) continue;
        chosen = i;
        pick -= uncertainty[i];
        if (pick < 0) break;
      }
      reason = explorationReason(this.explorationRate, affordableCount, uncertainty[chosen] / total);
    } else if (priced) {
      reason = pricedReason(eligible[draw].id, candidates[best], priced.gap, horizon, objective, value, costWeight);
    } else {
      reason = explainChoice(objective, value, candidates[best], second >= 0 ? candidates[second] : undefined, costWeight);
    }
    if (probe >= 0) {
      reason = probeReason(eligible, candidates, probe, best, second, explore ? chosen : -1, objective, value, costWeight);
      chosen = probe;
    }
    const arm = eligible[chosen];
    this.selections.increment(arm.id);
    return { chosen: arm, candidates, reason, exploration: affordableCount > 0 && chosen !== best, probe: probe >= 0, value };
  }

  /** The first affordable eligible arm whose breaker waits for a probe, or -1. */
  private probeFor(eligible: readonly ArmConfig[], affordable: Uint8Array): number {
    const halfOpen = this.options.halfOpen;
    if (!halfOpen) return -1;
    for (let i = 0; i < eligible.length; i++) if (affordable[i] && halfOpen(eligible[i].id)) return i;
    return -1;
  }

  recordQuality(observation: QualityObservation): void {
    this.learner.recordQuality(observation);
  }

  record(outcome: AttemptOutcome, requestClass: string, outcomeId?: string): void {
    this.learner.record(outcome, requestClass, outcomeId);
  }

  updateArms(arms: readonly ArmConfig[]): void {
    this.learner.updateArms(arms);
  }

  /**
   * The per-arm priors, class values and quality floors of a reloaded routing table. Evidence
   * already learnt stays: a prior only shapes an arm that has none yet (and its output estimate).
   */
  updateSettings(settings: Pick<ThompsonOptions, 'armPriors' | 'classValues' | 'minQuality'>): void {
    this.options = { ...this.options, ...settings };
    this.learner.updateArmPriors(this.options.armPriors);
  }

  forgetArm(id: string): void {
    this.learner.forgetArm(id);
  }

  p95(armId: string): number | undefined {
    return this.learner.p95(armId);
  }

  p99(armId: string): number | undefined {
    return this.learner.p99(armId);
  }

  armRecovered(arm: string): void {
    this.learner.armRecovered(arm);
  }

  retractHung(arm: string, requestClass: string): void {
    this.learner.retractHung(arm, requestClass);
  }

  expectedCostUsd(arm: ArmConfig, request: RouteRequest, promptTokens = estimatePromptTokens(request.messages)): number {
    return this.scorer.expectedCostUsd(arm, request, promptTokens);
  }

  maxCostRule(): EligibilityRule {
    return maxCostRule(this.scorer);
  }

  qualityFloorRule(): EligibilityRule {
    return qualityFloorRule(this.learner, () => this.options.minQuality);
  }

  snapshot(): ArmPolicySnapshot[] {
    return policySnapshot(this.learner.states, this.selections);
  }
}
