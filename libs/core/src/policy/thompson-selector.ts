import type { AttemptOutcome, OutcomeSink } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import { outcomeTime } from '../stats/outcome-time';
import type { Random } from '../ports/random';
import { costUsd, type ArmConfig } from '../routing/arm';
import type { ArmSelector, CandidateScore, Decision, SelectionContext } from '../routing/arm-selector';
import { BELOW_QUALITY_FLOOR, type EligibilityRule } from '../routing/eligibility';
import type { Objective, RouteRequest } from '../routing/route-request';
import { estimatePromptTokens } from '../routing/token-estimate';
import type { LatencyEstimator } from '../stats/latency-estimator';
import { RollingCount } from '../stats/rolling-count';
import { normalCdf, Sampler, Z95 } from '../stats/sampler';
import { SlidingSketch } from '../stats/sliding-sketch';
import { ArmPosterior, type PosteriorSettings } from './arm-posterior';
import { p95FromSample, type LatencyDraw } from './normal-gamma';
import type { QualityObservation, QualitySink } from '../outcome/quality-observation';
import { expectedNetValue, resolveValue, type ValueParams } from '../value/net-value';
import { DEFAULT_PRIORS, type PolicyPriors } from './priors';
import { RecentIds } from './recent-ids';
import { formatUsd } from './format';
import type { ArmStateHolder } from '../routing/arm-reload';

/** Success below this is treated as this, so cost per success stays finite. */
const MIN_SUCCESS = 1e-3;
/** The empirical latency distribution is used from this many recent ok calls on... */
const EMPIRICAL_MIN = 20;
/** ...weighted n/(n + this) against the log-normal model. */
const EMPIRICAL_HALF_WEIGHT = 100;

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

/** Known arms count towards the population prior from this much success evidence on. */
const POPULATION_MIN_EVIDENCE = 20;

/** Per-arm view for /health/routing. */
export interface ArmPolicySnapshot {
  arm: string;
  observations: number;
  successMean: number;
  /** Pseudo-observations behind successMean (≤ 1/(1−γ)). */
  successEvidence: number;
  latencyMedianMs: number;
  latencyP95EstimateMs: number;
  /** From the streaming sketch over the recent window; undefined before the first ok outcome. */
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  expectedCostUsd?: number;
  costPerSuccessUsd?: number;
  selectionsLastMinute: number;
  selectionShareLastMinute: number;
  lastObservedAt?: number;
  /** P(acceptable | ok) over all classes, and the scores behind it. */
  qualityMean: number;
  qualityEvidence: number;
  classes: Record<string, { observations: number; successMean: number; qualityMean: number; qualityEvidence: number; p95Ms?: number }>;
}

interface ArmState {
  config?: ArmConfig;
  priors: PolicyPriors;
  global: ArmPosterior;
  classes: Map<string, ArmPosterior>;
  sketch: SlidingSketch;
  classSketches: Map<string, SlidingSketch>;
  /** Recent ok latencies that score the arm (P(latency ≤ SLO), latency cost); cleared on a latency change point. */
  tailSketch: SlidingSketch;
  /** What tailSketch said at its `version` for this SLO and cap (see `empirical`). */
  empirical?: EmpiricalTail;
  /** The class posterior found last (see knownClassPosterior). */
  lastClass?: string;
  lastClassPosterior?: ArmPosterior;
}

interface EmpiricalTail {
  version: number;
  slo: number;
  cap: number;
  atMost: number;
  truncatedMean: number;
  weight: number;
}

/** Per-decision working arrays, reused across decisions (no per-arm allocation on the hot path). */
interface Scratch {
  success: Float64Array;
  quality: Float64Array;
  latencyMs: Float64Array;
  p95: Float64Array;
  cost: Float64Array;
  affordable: Uint8Array;
  /** Exploration weight before the cost factor (base + uncertainty). */
  uncertainty: Float64Array;
  draw: LatencyDraw;
}

/**
 * Thompson sampling over (arm, request class) posteriors: one posterior draw per eligible arm,
 * scored by the request's objective (see objectives.ts), argmax wins. An exploration floor and
 * staleness inflation keep idle or recovered arms in play. It is also the OutcomeSink that learns
 * from every attempt, locally or broadcast from other replicas (`record` with an outcome id is
 * idempotent), and the LatencyEstimator hedging reads.
 */
export class ThompsonSelector implements ArmSelector, OutcomeSink, QualitySink, LatencyEstimator, ArmStateHolder {
  readonly name = 'thompson';
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly sampler: Sampler;
  private readonly settings: PosteriorSettings;
  private readonly explorationRate: number;
  private readonly explorationCostExponent: number;
  private readonly explorationBaseWeight: number;
  private readonly explorationEvidenceScale: number;
  private readonly warmStartCap: number;
  private readonly maxClasses: number;
  private readonly priors: PolicyPriors;
  private readonly costFloorUsd: number;
  private readonly sketchWindowMs: number;
  private readonly states = new Map<string, ArmState>();
  private readonly selections: RollingCount;
  private readonly seen: RecentIds;
  private scratch: Scratch = newScratch(16);
  /** Which quality factors this router has ever observed (see QualityPosterior.sample). */
  private readonly observable = { checks: false, feedback: false };
  /** Arms a reload removed: outcomes still arriving for them (other replicas) are not learnt. */
  private readonly retired = new Set<string>();
  /** Half-open probes sent outside an exploration draw, each to be repaid by skipping one. */
  private probeCredit = 0;

  constructor(private options: ThompsonOptions) {
    this.clock = options.clock;
    this.random = options.random;
    this.sampler = new Sampler(options.random);
    this.settings = {
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
    this.explorationBaseWeight = options.explorationBaseWeight ?? 0.25;
    this.explorationEvidenceScale = options.explorationEvidenceScale ?? 20;
    this.explorationRate = options.explorationRate ?? 0.02;
    this.warmStartCap = options.classWarmStartCap ?? 20;
    this.maxClasses = options.maxClassesPerArm ?? 64;
    this.priors = { ...DEFAULT_PRIORS, ...options.priors };
    this.costFloorUsd = options.costFloorUsd ?? 1e-6;
    this.sketchWindowMs = options.sketchWindowMs ?? 5 * 60_000;
    this.selections = new RollingCount(options.clock, 60_000);
    this.seen = new RecentIds(options.dedupeCapacity ?? 10_000);
    for (const arm of options.arms ?? []) this.stateFor(arm.id, arm);
  }

  /** The value parameters a request is scored with: request over class over objective preset. */
  valueFor(request: RouteRequest): ValueParams {
    const { objective, valueUsd, latencyUsdPerSecond } = request.routing;
    return resolveValue(objective, this.options.classValues?.[request.class], { valueUsd, latencyUsdPerSecond });
  }

  select(ctx: SelectionContext, eligible: readonly ArmConfig[]): Omit<Decision, 'excluded'> {
    const request = ctx.request;
    const now = this.clock.now();
    const objective = request.routing.objective;
    const value = this.valueFor(request);
    const costWeight = Math.max(1, this.options.costWeight?.(request.tenant) ?? 1);
    const slo = request.routing.latencySloMs;
    const lnSlo = slo !== undefined && slo > 0 ? Math.log(slo) : undefined;
    const maxCost = request.routing.maxCostUsd;
    const promptTokens = estimatePromptTokens(request.messages);

    const n = eligible.length;
    const scratch = this.scratchFor(n);
    const { success, quality, latencyMs, p95, cost, affordable, uncertainty } = scratch;
    const maxTokens = request.params.maxTokens;
    let costRef = Infinity;
    let affordableCount = 0;
    for (let i = 0; i < n; i++) {
      this.scoreArm(scratch, i, eligible[i], request.class, now, slo, lnSlo, promptTokens, maxTokens);
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
        uncertainty[i] *= Math.pow(costRef / Math.max(this.costFloorUsd, cost[i]), this.explorationCostExponent);
        total += uncertainty[i];
      }
      let pick = this.random.next() * total;
      for (let i = 0; i < n; i++) {
        if (!affordable[i]) continue;
        chosen = i;
        pick -= uncertainty[i];
        if (pick < 0) break;
      }
      reason =
        `exploration floor (${pct(this.explorationRate)} of decisions): random among ${affordableCount} eligible arms, ` +
        `weighted to cheap and uncertain ones (P = ${pct(uncertainty[chosen] / total)} for this arm)`;
    } else {
      reason = this.explain(objective, value, candidates[best], second >= 0 ? candidates[second] : undefined, costWeight);
    }
    if (probe >= 0) {
      reason = this.probeReason(eligible, candidates, probe, best, second, explore ? chosen : -1, objective, value, costWeight);
      chosen = probe;
    }
    const arm = eligible[chosen];
    this.selections.increment(arm.id);
    return { chosen: arm, candidates, reason, exploration: affordableCount > 0 && chosen !== best, probe: probe >= 0, value };
  }

  /**
   * One arm's draws and scores, written into the scratch arrays at `i` (success, quality, latency,
   * P95, cost, exploration weight before the cost factor). A method of its own, returning nothing,
   * so that the compiler inlines the posterior and sampler calls here instead of running out of its
   * inlining budget in `select`: every call left out returns its number as a fresh heap object.
   */
  private scoreArm(scratch: Scratch, i: number, arm: ArmConfig, requestClass: string, now: number, slo: number | undefined, lnSlo: number | undefined, promptTokens: number, maxTokens: number | undefined): void {
    const state = this.stateFor(arm.id, arm);
    const posterior = this.posteriorFor(state, requestClass);
    const fade = posterior.fadeAt(now);
    const okDraw = posterior.success.sample(this.sampler, fade);
    const { mu, tau } = posterior.latency.sample(this.sampler, fade, scratch.draw);
    // P(ok ∧ latency ≤ SLO) = P(ok) · P(latency ≤ SLO): the log-normal model, blended with the
    // recent empirical distribution as it fills (below), so a heavy tail is scored as it is.
    let withinSlo = lnSlo === undefined ? 1 : normalCdf((lnSlo - mu) * Math.sqrt(tau));
    scratch.quality[i] = posterior.quality.sample(this.sampler, this.observable, posterior.qualityFadeAt(now));
    // What the caller waits on average, tail included, but never past the arm's timeout (a call
    // that long is abandoned): the mean of the log-normal truncated there. From the posterior's
    // point estimate, not the draw: the mean of a log-normal is convex in a drawn spread, so a
    // little-known arm would look slower on average than it is and never be tried.
    let latencyMs = posterior.latency.pointMeanMs(arm.timeouts.totalMs);
    const empirical = this.empirical(state, slo, arm.timeouts.totalMs);
    if (empirical) {
      withinSlo = empirical.weight * empirical.atMost + (1 - empirical.weight) * withinSlo;
      latencyMs = empirical.weight * empirical.truncatedMean + (1 - empirical.weight) * latencyMs;
    }
    scratch.latencyMs[i] = latencyMs;
    scratch.success[i] = okDraw * withinSlo;
    scratch.p95[i] = p95FromSample(mu, tau);
    scratch.cost[i] = this.expectedCost(arm, posterior, promptTokens, maxTokens);
    // The thinner of the success and latency evidence (either may just have been reset by a shift alarm).
    const evidence = Math.min(posterior.success.evidence, posterior.latency.weight) * fade;
    scratch.uncertainty[i] = this.explorationBaseWeight + 1 / (1 + evidence / this.explorationEvidenceScale);
  }

  /** The first affordable eligible arm whose breaker waits for a probe, or -1. */
  private probeFor(eligible: readonly ArmConfig[], affordable: Uint8Array): number {
    const halfOpen = this.options.halfOpen;
    if (!halfOpen) return -1;
    for (let i = 0; i < eligible.length; i++) if (affordable[i] && halfOpen(eligible[i].id)) return i;
    return -1;
  }

  /**
   * The arm a decision would choose with no sampling at all: the highest expected net value at the
   * posterior means (the exploitation choice). A decision that picks another arm — by a Thompson
   * draw or the exploration floor — explores; bench:policy counts those. Draws no random numbers,
   * so asking does not change the decisions that follow.
   */
  posteriorMeanChoice(request: RouteRequest, eligible: readonly ArmConfig[]): string | undefined {
    const value = this.valueFor(request);
    const costWeight = Math.max(1, this.options.costWeight?.(request.tenant) ?? 1);
    const slo = request.routing.latencySloMs;
    const promptTokens = estimatePromptTokens(request.messages);
    let best: string | undefined;
    let bestValue = -Infinity;
    for (const arm of eligible) {
      const state = this.stateFor(arm.id, arm);
      const posterior = this.posteriorFor(state, request.class);
      const cost = this.expectedCost(arm, posterior, promptTokens, request.params.maxTokens);
      if (request.routing.maxCostUsd !== undefined && cost > request.routing.maxCostUsd) continue;
      const point = posterior.latency.pointEstimate();
      const sigma = Math.max(1e-3, Math.log(point.p95Ms / point.medianMs) / Z95);
      let withinSlo = slo !== undefined && slo > 0 ? normalCdf((Math.log(slo) - Math.log(point.medianMs)) / sigma) : 1;
      let latencyMs = posterior.latency.pointMeanMs(arm.timeouts.totalMs);
      const empirical = this.empirical(state, slo, arm.timeouts.totalMs);
      if (empirical) {
        withinSlo = empirical.weight * empirical.atMost + (1 - empirical.weight) * withinSlo;
        latencyMs = empirical.weight * empirical.truncatedMean + (1 - empirical.weight) * latencyMs;
      }
      const u = expectedNetValue({ pGood: posterior.success.mean * withinSlo * posterior.quality.mean, expectedCostUsd: cost, expectedLatencyMs: latencyMs }, value, costWeight);
      if (u > bestValue) {
        bestValue = u;
        best = arm.id;
      }
    }
    return best;
  }

  /**
   * Learns a quality score for an answer `arm` gave in `requestClass` (answer check or feedback).
   * Idempotent per observation id: a duplicate feedback message counts once.
   */
  recordQuality(observation: QualityObservation): void {
    if (!(observation.score >= 0 && observation.score <= 1)) return;
    this.observable[observation.kind === 'check' ? 'checks' : 'feedback'] = true;
    if (observation.id !== undefined && !this.seen.add(`q:${observation.id}`)) return;
    const now = this.clock.now();
    const state = this.states.get(observation.arm);
    if (!state) return;
    this.classPosterior(state, observation.requestClass)?.observeQuality(observation.score, observation.kind, now);
    const shift = state.global.observeQuality(observation.score, observation.kind, now);
    // As for outcomes: a drop the arm's global quality shows holds for its classes too.
    if (shift) for (const posterior of state.classes.values()) posterior.adoptShift(state.global, shift, this.warmStartCap, now);
  }

  /**
   * Learns from one attempt. Outcomes that say nothing about the arm (429, 400, budget, cancelled:
   * `countsAgainstArm` false and not ok) are ignored, so they never hurt its success posterior.
   * `outcomeId` (e.g. `${requestId}:${attempt}`) makes ingestion idempotent, for outcomes that may
   * arrive twice from the `switchyard.outcomes` broadcast.
   */
  record(outcome: AttemptOutcome, requestClass: string, outcomeId?: string): void {
    if (outcome.kind !== 'ok' && !outcome.countsAgainstArm) return;
    if (this.retired.has(outcome.arm)) return;
    if (outcomeId !== undefined && !this.seen.add(outcomeId)) return;
    // At the time it happened: a replayed outcome is as stale as it is old.
    const now = outcomeTime(outcome, this.clock.now());
    const state = this.stateFor(outcome.arm);
    const classPosterior = this.classPosterior(state, requestClass);
    const observed = {
      success: outcome.kind === 'ok',
      latencyMs: outcome.latencyMs,
      inputTokens: outcome.usage.inputTokens,
      outputTokens: outcome.usage.outputTokens,
    };
    classPosterior?.observe(observed, now);
    const shift = state.global.observe(observed, now);
    // A change the arm's global posterior detected (drop or recovery, success or latency) holds
    // for every class: each class posterior takes over the post-change evidence, as a warm start.
    if (shift) for (const posterior of state.classes.values()) posterior.adoptShift(state.global, shift, this.warmStartCap, now);
    // The latencies that score the arm describe the old regime too: start them again with the new one.
    if (shift?.latency) state.tailSketch.clear();
    if (outcome.kind === 'ok') {
      state.sketch.add(outcome.latencyMs, now);
      state.tailSketch.add(outcome.latencyMs, now);
      if (classPosterior) this.classSketch(state, requestClass).add(outcome.latencyMs, now);
    }
  }

  /**
   * The arms of a reloaded routing table: an arm that stays keeps everything learnt about it and
   * is scored with its new price and settings from the next decision on; a new arm starts from its
   * priors. (Removed and replaced arms go through `forgetArm`.)
   */
  updateArms(arms: readonly ArmConfig[]): void {
    // One population for every arm this reload adds: the arms known before it.
    const population = this.populationPriors();
    for (const arm of arms) {
      this.retired.delete(arm.id);
      this.stateFor(arm.id, arm, population).config = arm;
    }
  }

  /**
   * The prior of an arm that joins a running router: the mean of what is known about the arms
   * already serving (P(ok), P(passes the checks), P(acceptable | ok), median latency) instead of
   * the vague defaults.
   * With the defaults (P(ok) uniform) a new arm would sample a coin flip against arms known to
   * answer 99 % of the time and be tried only by the exploration floor, however good it is; with
   * the population's, it competes at once, and `populationPriorWeight` outcomes overrule the
   * assumption either way. It is still scored by net value — price and the budget pacer's cost
   * weight included — and a budget cap still rules it out when its cost does not fit. Per-arm
   * `priors` in the routing table take precedence. Undefined before any arm has evidence (at
   * startup every arm starts from the defaults alike).
   */
  private populationPriors(): Partial<PolicyPriors> | undefined {
    const known = [...this.states.values()].filter((s) => s.config && s.global.success.evidence >= POPULATION_MIN_EVIDENCE);
    if (known.length === 0) return undefined;
    const weight = this.options.populationPriorWeight ?? 20;
    const mean = (f: (s: ArmState) => number) => known.reduce((sum, s) => sum + f(s), 0) / known.length;
    const success = mean((s) => s.global.success.mean);
    const quality = mean((s) => s.global.quality.feedback.mean);
    const checkPass = mean((s) => s.global.quality.checks.mean);
    // Each factor keeps the weight its default prior has: only the means come from the population.
    const qualityWeight = this.priors.qualityAlpha + this.priors.qualityBeta;
    const checkWeight = this.priors.checkPassAlpha + this.priors.checkPassBeta;
    return {
      successAlpha: success * weight,
      successBeta: (1 - success) * weight,
      qualityAlpha: quality * qualityWeight,
      qualityBeta: (1 - quality) * qualityWeight,
      checkPassAlpha: checkPass * checkWeight,
      checkPassBeta: (1 - checkPass) * checkWeight,
      latencyMedianMs: Math.exp(mean((s) => Math.log(s.global.latency.pointEstimate().medianMs))),
    };
  }

  /**
   * The per-arm priors, class values and quality floors of a reloaded routing table. Evidence
   * already learnt stays: a prior only shapes an arm that has none yet (and its output estimate).
   */
  updateSettings(settings: Pick<ThompsonOptions, 'armPriors' | 'classValues' | 'minQuality'>): void {
    this.options = { ...this.options, ...settings };
    for (const [id, state] of this.states) state.priors = this.priorsOf(id);
  }

  /** Drops everything learnt about an arm (removed from the routing table, or another model now). */
  forgetArm(id: string): void {
    this.states.delete(id);
    // Until a reload lists it again (updateArms).
    this.retired.add(id);
  }

  /** Recent P95 of successful calls (sketch), else the posterior estimate, else undefined. */
  p95(armId: string): number | undefined {
    const state = this.states.get(armId);
    if (!state || state.global.observations === 0) return undefined;
    if (state.sketch.count >= 20) return state.sketch.quantile(0.95);
    return state.global.latency.weight > 0 ? state.global.latency.pointEstimate().p95Ms : undefined;
  }

  /**
   * What the arm's recent ok latencies (since its last latency change point) say about this SLO
   * and about waiting, with the weight n/(n + 100) they get against the log-normal model: the
   * empirical distribution takes over as it fills. Cached per sketch until it changes.
   */
  private empirical(state: ArmState, slo: number | undefined, capMs: number): EmpiricalTail | undefined {
    const sketch = state.tailSketch;
    const n = sketch.count;
    if (n < EMPIRICAL_MIN) return undefined;
    const x = slo ?? Infinity;
    let cached = state.empirical;
    if (!cached || cached.version !== sketch.version || cached.slo !== x || cached.cap !== capMs) {
      const tail = sketch.tail(x, capMs);
      if (!tail) return undefined;
      cached = { version: sketch.version, slo: x, cap: capMs, atMost: tail.atMost, truncatedMean: tail.truncatedMean, weight: n / (n + EMPIRICAL_HALF_WEIGHT) };
      state.empirical = cached;
    }
    return cached;
  }

  /** Recent P99 of successful calls, once the sketch holds 50 of them (a P99 from fewer is a guess). */
  p99(armId: string): number | undefined {
    const state = this.states.get(armId);
    return state && state.sketch.count >= 50 ? state.sketch.quantile(0.99) : undefined;
  }

  /**
   * The arm's breaker closed after successful probes: its posteriors get their normal regime back
   * (see ArmPosterior.recover), so it competes at once instead of climbing back from the outage's
   * failures one exploration probe at a time.
   */
  armRecovered(arm: string): void {
    const state = this.states.get(arm);
    if (!state) return;
    const now = this.clock.now();
    const shift = state.global.recover(now);
    if (shift) for (const posterior of state.classes.values()) posterior.adoptShift(state.global, shift, this.warmStartCap, now);
  }

  /**
   * Takes back, approximately, the failure a hung-call report recorded for an attempt that then
   * answered after all: the evidence against the arm is reduced by one observation.
   */
  retractHung(arm: string, requestClass: string): void {
    const state = this.states.get(arm);
    if (!state) return;
    state.global.success.retractFailure();
    this.knownClassPosterior(state, requestClass)?.success.retractFailure();
  }

  /** Expected cost of `request` on `arm`, as used for maxCostUsd and the cost term. */
  expectedCostUsd(arm: ArmConfig, request: RouteRequest, promptTokens = estimatePromptTokens(request.messages)): number {
    const state = this.stateFor(arm.id, arm);
    return this.expectedCost(arm, this.knownClassPosterior(state, request.class) ?? state.global, promptTokens, request.params.maxTokens);
  }

  /**
   * An eligibility rule for the router: excludes arms whose expected cost exceeds the request's
   * `maxCostUsd`, so the exclusion (and its reason) shows in the decision and the failure message.
   */
  maxCostRule(): EligibilityRule {
    return (arm, ctx) => {
      const max = ctx.request.routing.maxCostUsd;
      if (max === undefined) return undefined;
      const expected = this.expectedCostUsd(arm, ctx.request, ctx.promptTokens);
      return expected > max ? `expected cost ${formatUsd(expected)} > maxCostUsd ${formatUsd(max)}` : undefined;
    };
  }

  /**
   * An eligibility rule for the class quality floor: an arm whose P(acceptable) lower credible
   * bound (≈ 84 %, one-sided) is under the class's minQuality does not serve it. A floor is a
   * promise about answers, so it is judged on what the policy is fairly sure of, not on a draw.
   */
  qualityFloorRule(): EligibilityRule {
    return (arm, ctx) => {
      const floor = this.options.minQuality?.[ctx.request.class];
      if (floor === undefined) return undefined;
      const state = this.stateFor(arm.id, arm);
      const bound = (this.knownClassPosterior(state, ctx.request.class) ?? state.global).quality.lowerBound(1);
      return bound < floor ? `${BELOW_QUALITY_FLOOR}: ${bound.toFixed(2)} < ${floor}` : undefined;
    };
  }

  snapshot(): ArmPolicySnapshot[] {
    const total = this.selections.total();
    return [...this.states.entries()].map(([arm, state]) => {
      const g = state.global;
      const point = g.latency.pointEstimate();
      let expectedCostUsd: number | undefined;
      if (state.config) {
        expectedCostUsd = costUsd(state.config, {
          inputTokens: g.tokens.input ?? 0,
          outputTokens: Math.min(g.tokens.output ?? state.priors.outputTokens, state.config.maxOutputTokens),
        });
      }
      const selections = this.selections.get(arm);
      const classes: ArmPolicySnapshot['classes'] = {};
      for (const [name, posterior] of state.classes) {
        classes[name] = {
          observations: posterior.observations,
          successMean: posterior.success.mean,
          qualityMean: posterior.quality.mean,
          qualityEvidence: posterior.quality.evidence,
          p95Ms: state.classSketches.get(name)?.quantile(0.95),
        };
      }
      return {
        arm,
        observations: g.observations,
        successMean: g.success.mean,
        successEvidence: g.success.evidence,
        qualityMean: g.quality.mean,
        qualityEvidence: g.quality.evidence,
        latencyMedianMs: point.medianMs,
        latencyP95EstimateMs: point.p95Ms,
        p50Ms: state.sketch.quantile(0.5),
        p95Ms: state.sketch.quantile(0.95),
        p99Ms: state.sketch.quantile(0.99),
        expectedCostUsd,
        costPerSuccessUsd: expectedCostUsd === undefined ? undefined : expectedCostUsd / Math.max(MIN_SUCCESS, g.success.mean * g.quality.mean),
        selectionsLastMinute: selections,
        selectionShareLastMinute: total ? selections / total : 0,
        lastObservedAt: g.lastObservedAt,
        classes,
      };
    });
  }

  private expectedCost(arm: ArmConfig, posterior: ArmPosterior, promptTokens: number, maxTokens: number | undefined): number {
    // Input: this request's own estimate is better than an average. Output: what this arm has
    // produced for this class, bounded by what the request and the arm allow.
    const output = Math.min(posterior.tokens.output ?? this.priorsOf(arm.id).outputTokens, maxTokens ?? Infinity, arm.maxOutputTokens);
    return (promptTokens * arm.pricing.inputPer1M + output * arm.pricing.outputPer1M) / 1_000_000;
  }

  private scratchFor(n: number): Scratch {
    if (this.scratch.success.length < n) this.scratch = newScratch(n);
    return this.scratch;
  }

  private stateFor(armId: string, config?: ArmConfig, population?: Partial<PolicyPriors>): ArmState {
    let state = this.states.get(armId);
    if (!state) {
      const priors = this.priorsOf(armId, population);
      state = {
        config,
        priors,
        global: ArmPosterior.fromPriors(priors, this.settings),
        classes: new Map(),
        sketch: new SlidingSketch(this.clock, this.sketchWindowMs),
        classSketches: new Map(),
        tailSketch: new SlidingSketch(this.clock, this.sketchWindowMs),
      };
      this.states.set(armId, state);
    } else if (config && !state.config) {
      state.config = config;
    }
    return state;
  }

  private priorsOf(armId: string, population?: Partial<PolicyPriors>): PolicyPriors {
    const override = this.options.armPriors?.[armId];
    return override || population ? { ...this.priors, ...population, ...override } : this.priors;
  }

  /** The posterior a decision samples: the class's, warm-started on first use, else the global one. */
  private posteriorFor(state: ArmState, requestClass: string): ArmPosterior {
    return this.classPosterior(state, requestClass) ?? state.global;
  }

  private classPosterior(state: ArmState, requestClass: string): ArmPosterior | undefined {
    let posterior = this.knownClassPosterior(state, requestClass);
    if (!posterior && state.classes.size < this.maxClasses) {
      posterior = ArmPosterior.warmStart(state.global, this.warmStartCap);
      state.classes.set(requestClass, posterior);
    }
    return posterior;
  }

  /**
   * The class's posterior if it has one (none is created). A decision looks each arm's class
   * posterior up twice (the maxCost rule, then scoring) and its outcome once more: the last one
   * found is kept on the state, and a class posterior, once made, stays the arm's for its life.
   */
  private knownClassPosterior(state: ArmState, requestClass: string): ArmPosterior | undefined {
    if (state.lastClass === requestClass) return state.lastClassPosterior;
    const posterior = state.classes.get(requestClass);
    if (posterior) {
      state.lastClass = requestClass;
      state.lastClassPosterior = posterior;
    }
    return posterior;
  }

  private classSketch(state: ArmState, requestClass: string): SlidingSketch {
    let sketch = state.classSketches.get(requestClass);
    if (!sketch) {
      sketch = new SlidingSketch(this.clock, this.sketchWindowMs);
      state.classSketches.set(requestClass, sketch);
    }
    return sketch;
  }

  /**
   * Names the probed arm, why it is probed, and the best-scoring arm by name (the probe may be it),
   * plus the exploration draw a probe displaced, so the reason reads without the code.
   */
  private probeReason(eligible: readonly ArmConfig[], candidates: readonly CandidateScore[], probe: number, best: number, second: number, drawn: number, objective: Objective, value: ValueParams, costWeight: number): string {
    const probed = eligible[probe].id;
    const scored = this.explain(objective, value, candidates[best], second >= 0 ? candidates[second] : undefined, costWeight);
    let text = `half-open probe of ${probed}: its circuit breaker is half-open, so this request is the one call that tests whether ${probed} is back; `;
    text += probe === best ? `${probed} is also the best-scoring arm (${scored})` : `the best-scoring arm is ${eligible[best].id} (${scored}), not used for this request`;
    if (drawn >= 0 && drawn !== probe) text += `; the exploration floor had drawn ${eligible[drawn].id}, the probe takes its place`;
    return text;
  }

  private explain(objective: Objective, value: ValueParams, best: CandidateScore, runnerUp: CandidateScore | undefined, costWeight: number): string {
    const s = best.sampledSuccess as number;
    const q = best.sampledQuality as number;
    // One string built by concatenation (no parts array to join): every decision writes one.
    let text =
      `highest sampled net value ${formatUsd(best.utility as number)} ` +
      `= ${formatUsd(value.valueUsd)} × P(ok ∧ in SLO) ${s.toFixed(3)} × P(acceptable) ${q.toFixed(3)} ` +
      `− cost ${formatUsd(best.expectedCostUsd as number)} − latency ${formatUsd(best.latencyCostUsd as number)} (${objective} value)`;
    if (runnerUp) text += ` over ${runnerUp.arm} ${formatUsd(runnerUp.utility as number)}`;
    if (costWeight > 1) text += ` cost weight ×${costWeight.toFixed(2)} from budget pacing`;
    return text;
  }
}

function newScratch(n: number): Scratch {
  return {
    success: new Float64Array(n),
    quality: new Float64Array(n),
    latencyMs: new Float64Array(n),
    p95: new Float64Array(n),
    cost: new Float64Array(n),
    affordable: new Uint8Array(n),
    uncertainty: new Float64Array(n),
    draw: { mu: 0, tau: 0 },
  };
}

function pct(x: number): string {
  return `${+(x * 100).toFixed(2)}%`;
}
