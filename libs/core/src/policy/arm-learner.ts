import type { AttemptOutcome, OutcomeSink } from '../outcome/attempt-outcome';
import type { QualityObservation, QualitySink } from '../outcome/quality-observation';
import type { Clock } from '../ports/clock';
import type { ArmConfig } from '../routing/arm';
import type { LatencyEstimator } from '../stats/latency-estimator';
import { outcomeTime } from '../stats/outcome-time';
import { SlidingSketch } from '../stats/sliding-sketch';
import { ArmPosterior, type PosteriorSettings } from './arm-posterior';
import type { PolicyPriors } from './priors';
import { RecentIds } from './recent-ids';

/** Known arms count towards the population prior from this much success evidence on. */
const POPULATION_MIN_EVIDENCE = 20;

/** Everything learnt about one arm. */
export interface ArmState {
  config?: ArmConfig;
  priors: PolicyPriors;
  global: ArmPosterior;
  classes: Map<string, ArmPosterior>;
  sketch: SlidingSketch;
  classSketches: Map<string, SlidingSketch>;
  /** Recent ok latencies that score the arm (P(latency ≤ SLO), latency cost); cleared on a latency change point. */
  tailSketch: SlidingSketch;
  /** What tailSketch said at its `version` for this SLO and cap (see ValueScorer.empirical). */
  empirical?: EmpiricalTail;
  /** The class posterior found last (see knownClassPosterior). */
  lastClass?: string;
  lastClassPosterior?: ArmPosterior;
}

export interface EmpiricalTail {
  version: number;
  slo: number;
  cap: number;
  atMost: number;
  truncatedMean: number;
  weight: number;
}

export interface ArmLearnerOptions {
  clock: Clock;
  settings: PosteriorSettings;
  /** The defaults every arm starts from (per-arm `armPriors` over them). */
  priors: PolicyPriors;
  armPriors?: Readonly<Record<string, Partial<PolicyPriors>>>;
  warmStartCap: number;
  maxClasses: number;
  sketchWindowMs: number;
  dedupeCapacity: number;
  populationPriorWeight: number;
}

/**
 * The posterior updates: per arm and request class, what every attempt outcome and quality score
 * (local or broadcast from other replicas, idempotent by id) taught, with shifts shared from an
 * arm's global posterior to its classes. Also the LatencyEstimator hedging and the hang watch read.
 */
export class ArmLearner implements OutcomeSink, QualitySink, LatencyEstimator {
  readonly states = new Map<string, ArmState>();
  /** Which quality factors this router has ever observed (see QualityPosterior.sample). */
  readonly observable = { checks: false, feedback: false };
  /** Arms a reload removed: outcomes still arriving for them (other replicas) are not learnt. */
  private readonly retired = new Set<string>();
  private readonly seen: RecentIds;
  /** Answers and feedback scores seen, for feedbackRate (halved together now and then: a recent rate). */
  private answers = 0;
  private feedbackScores = 0;

  constructor(private readonly options: ArmLearnerOptions) {
    this.seen = new RecentIds(options.dedupeCapacity);
  }

  /**
   * Learns a quality score for an answer `arm` gave in `requestClass` (answer check or feedback).
   * Idempotent per observation id: a duplicate feedback message counts once.
   */
  recordQuality(observation: QualityObservation): void {
    if (!(observation.score >= 0 && observation.score <= 1)) return;
    this.observable[observation.kind === 'check' ? 'checks' : 'feedback'] = true;
    if (observation.id !== undefined && !this.seen.add(`q:${observation.id}`)) return;
    if (observation.kind === 'feedback') this.feedbackScores++;
    const now = this.options.clock.now();
    const state = this.states.get(observation.arm);
    if (!state) return;
    const at = observation.answeredAt !== undefined && observation.answeredAt < now ? observation.answeredAt : now;
    this.classPosterior(state, observation.requestClass)?.observeQuality(observation.score, observation.kind, now, at);
    const shift = state.global.observeQuality(observation.score, observation.kind, now, at);
    // As for outcomes: a drop the arm's global quality shows holds for its classes too.
    if (shift) for (const posterior of state.classes.values()) posterior.adoptShift(state.global, shift, this.options.warmStartCap, now);
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
    const now = outcomeTime(outcome, this.options.clock.now());
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
    if (shift) for (const posterior of state.classes.values()) posterior.adoptShift(state.global, shift, this.options.warmStartCap, now);
    // The latencies that score the arm describe the old regime too: start them again with the new one.
    if (shift?.latency) state.tailSketch.clear();
    if (outcome.kind === 'ok') {
      if (++this.answers > 20_000) {
        this.answers /= 2;
        this.feedbackScores /= 2;
      }
      state.sketch.add(outcome.latencyMs, now);
      state.tailSketch.add(outcome.latencyMs, now);
      if (classPosterior) this.classSketch(state, requestClass).add(outcome.latencyMs, now);
    }
  }

  /** Feedback scores per answer, recently (0 until feedback comes; at most 1). */
  feedbackRate(): number {
    return this.answers > 0 ? Math.min(1, this.feedbackScores / this.answers) : 0;
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

  /** Per-arm priors of a reloaded routing table: evidence already learnt stays, a prior only shapes an arm that has none yet. */
  updateArmPriors(armPriors: ArmLearnerOptions['armPriors']): void {
    this.options.armPriors = armPriors;
    for (const [id, state] of this.states) state.priors = this.priorsOf(id);
  }

  /** Drops everything learnt about an arm (removed from the routing table, or another model now). */
  forgetArm(id: string): void {
    this.states.delete(id);
    // Until a reload lists it again (updateArms).
    this.retired.add(id);
  }

  /**
   * The arm's breaker closed after successful probes: its posteriors get their normal regime back
   * (see ArmPosterior.recover), so it competes at once instead of climbing back from the outage's
   * failures one exploration probe at a time.
   */
  armRecovered(arm: string): void {
    const state = this.states.get(arm);
    if (!state) return;
    const now = this.options.clock.now();
    const shift = state.global.recover(now);
    if (shift) for (const posterior of state.classes.values()) posterior.adoptShift(state.global, shift, this.options.warmStartCap, now);
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

  /** Recent P95 of successful calls (sketch), else the posterior estimate, else undefined. */
  p95(armId: string): number | undefined {
    const state = this.states.get(armId);
    if (!state || state.global.observations === 0) return undefined;
    if (state.sketch.count >= 20) return state.sketch.quantile(0.95);
    return state.global.latency.weight > 0 ? state.global.latency.pointEstimate().p95Ms : undefined;
  }

  /** Recent P99 of successful calls, once the sketch holds 50 of them (a P99 from fewer is a guess). */
  p99(armId: string): number | undefined {
    const state = this.states.get(armId);
    return state && state.sketch.count >= 50 ? state.sketch.quantile(0.99) : undefined;
  }

  stateFor(armId: string, config?: ArmConfig, population?: Partial<PolicyPriors>): ArmState {
    let state = this.states.get(armId);
    if (!state) {
      const { clock, sketchWindowMs } = this.options;
      const priors = this.priorsOf(armId, population);
      state = {
        config,
        priors,
        global: ArmPosterior.fromPriors(priors, this.options.settings),
        classes: new Map(),
        sketch: new SlidingSketch(clock, sketchWindowMs),
        classSketches: new Map(),
        tailSketch: new SlidingSketch(clock, sketchWindowMs),
      };
      this.states.set(armId, state);
    } else if (config && !state.config) {
      state.config = config;
    }
    return state;
  }

  priorsOf(armId: string, population?: Partial<PolicyPriors>): PolicyPriors {
    const override = this.options.armPriors?.[armId];
    return override || population ? { ...this.options.priors, ...population, ...override } : this.options.priors;
  }

  /** The posterior a decision samples: the class's, warm-started on first use, else the global one. */
  posteriorFor(state: ArmState, requestClass: string): ArmPosterior {
    return this.classPosterior(state, requestClass) ?? state.global;
  }

  /**
   * The class's posterior if it has one (none is created). A decision looks each arm's class
   * posterior up twice (the maxCost rule, then scoring) and its outcome once more: the last one
   * found is kept on the state, and a class posterior, once made, stays the arm's for its life.
   */
  knownClassPosterior(state: ArmState, requestClass: string): ArmPosterior | undefined {
    if (state.lastClass === requestClass) return state.lastClassPosterior;
    const posterior = state.classes.get(requestClass);
    if (posterior) {
      state.lastClass = requestClass;
      state.lastClassPosterior = posterior;
    }
    return posterior;
  }

  private classPosterior(state: ArmState, requestClass: string): ArmPosterior | undefined {
    let posterior = this.knownClassPosterior(state, requestClass);
    if (!posterior && state.classes.size < this.options.maxClasses) {
      posterior = ArmPosterior.warmStart(state.global, this.options.warmStartCap);
      state.classes.set(requestClass, posterior);
    }
    return posterior;
  }

  private classSketch(state: ArmState, requestClass: string): SlidingSketch {
    let sketch = state.classSketches.get(requestClass);
    if (!sketch) {
      sketch = new SlidingSketch(this.options.clock, this.options.sketchWindowMs);
      state.classSketches.set(requestClass, sketch);
    }
    return sketch;
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
    const weight = this.options.populationPriorWeight;
    const mean = (f: (s: ArmState) => number) => known.reduce((sum, s) => sum + f(s), 0) / known.length;
    const success = mean((s) => s.global.success.mean);
    const quality = mean((s) => s.global.quality.feedback.mean);
    const checkPass = mean((s) => s.global.quality.checks.mean);
    // Each factor keeps the weight its default prior has: only the means come from the population.
    const { priors } = this.options;
    const qualityWeight = priors.qualityAlpha + priors.qualityBeta;
    const checkWeight = priors.checkPassAlpha + priors.checkPassBeta;
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
}
