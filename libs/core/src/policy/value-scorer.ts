import type { ArmConfig } from '../routing/arm';
import type { RouteRequest } from '../routing/route-request';
import { estimatePromptTokens } from '../routing/token-estimate';
import { normalCdf, type Sampler } from '../stats/sampler';
import type { ArmPosterior } from './arm-posterior';
import type { ArmLearner, ArmState, EmpiricalTail } from './arm-learner';
import type { ValueParams } from '../value/net-value';
import type { Lesson } from './exploration-value';
import { p95FromSample, type LatencyDraw } from './normal-gamma';

/** The empirical latency distribution is used from this many recent ok calls on... */
const EMPIRICAL_MIN = 20;
/** ...weighted n/(n + this) against the log-normal model. */
const EMPIRICAL_HALF_WEIGHT = 100;

/** Per-decision working arrays, reused across decisions (no per-arm allocation on the hot path). */
export interface Scratch {
  success: Float64Array;
  quality: Float64Array;
  latencyMs: Float64Array;
  p95: Float64Array;
  cost: Float64Array;
  affordable: Uint8Array;
  /** Exploration weight before the cost factor (base + uncertainty). */
  uncertainty: Float64Array;
  /** P(ok ∧ in SLO ∧ acceptable) by the posterior means, no draw: what the arm is believed to give. */
  meanGood: Float64Array;
  draw: LatencyDraw;
}

export interface ValueScorerOptions {
  /** See ThompsonOptions.explorationBaseWeight and explorationEvidenceScale. */
  explorationBaseWeight: number;
  explorationEvidenceScale: number;
}

/**
 * One posterior draw per arm turned into the terms of its net value (value/net-value.ts): P(ok ∧
 * within the SLO), P(acceptable), the latency the caller waits, the expected cost, and how
 * uncertain the arm still is (the exploration weight).
 */
export class ValueScorer {
  private scratch: Scratch = newScratch(16);
  private readonly lessonPool: Lesson[] = Array.from({ length: 5 }, () => ({ variance: 0, evidence: 0, perCall: 0 }));
  private readonly lessonScratch: Lesson[] = [];

  constructor(
    private readonly learner: ArmLearner,
    private readonly sampler: Sampler,
    private readonly options: ValueScorerOptions,
  ) {}

  scratchFor(n: number): Scratch {
    if (this.scratch.success.length < n) this.scratch = newScratch(n);
    return this.scratch;
  }

  /**
   * One arm's draws and scores, written into the scratch arrays at `i` (success, quality, latency,
   * P95, cost, exploration weight before the cost factor). A method of its own, returning nothing,
   * so that the compiler inlines the posterior and sampler calls here instead of running out of its
   * inlining budget in `select`: every call left out returns its number as a fresh heap object.
   */
  scoreArm(scratch: Scratch, i: number, arm: ArmConfig, requestClass: string, now: number, slo: number | undefined, lnSlo: number | undefined, promptTokens: number, maxTokens: number | undefined): void {
    const state = this.learner.stateFor(arm.id, arm);
    const posterior = this.learner.posteriorFor(state, requestClass);
    const fade = posterior.fadeAt(now);
    const okDraw = posterior.success.sample(this.sampler, fade);
    const { mu, tau } = posterior.latency.sample(this.sampler, fade, scratch.draw);
    // P(ok ∧ latency ≤ SLO) = P(ok) · P(latency ≤ SLO): the log-normal model, blended with the
    // recent empirical distribution as it fills (below), so a heavy tail is scored as it is.
    let withinSlo = lnSlo === undefined ? 1 : normalCdf((lnSlo - mu) * Math.sqrt(tau));
    scratch.quality[i] = posterior.quality.sample(this.sampler, this.learner.observable, posterior.qualityFadeAt(now));
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
    scratch.uncertainty[i] = this.options.explorationBaseWeight + 1 / (1 + evidence / this.options.explorationEvidenceScale);
    let within = lnSlo === undefined ? 1 : posterior.latency.pointWithin(lnSlo);
    if (empirical) within = empirical.weight * empirical.atMost + (1 - empirical.weight) * within;
    scratch.meanGood[i] = posterior.success.mean * within * posterior.quality.mean;
  }

  /**
   * What further calls to `arm` would teach about its net value for this class (exploration-value.ts),
   * one entry per signal: success, P(latency ≤ SLO), the latency cost, answer checks and feedback.
   * Each signal's variance is the Beta's m(1 − m)/(n + 1) (the latency cost's: that of the mean of
   * ln latency), scaled by how much the net value moves with it (delta method). Evidence counts as
   * faded as it is sampled, so a stale arm is as open to learning as a little-known one.
   */
  lessons(arm: ArmConfig, requestClass: string, now: number, lnSlo: number | undefined, latencyMs: number, value: ValueParams): readonly Lesson[] {
    const state = this.learner.stateFor(arm.id, arm);
    const posterior = this.learner.posteriorFor(state, requestClass);
    const fade = posterior.fadeAt(now);
    const { success, latency, quality } = posterior;
    const s = success.mean;
    const c = quality.checks.mean;
    const f = quality.feedback.mean;
    const latencyEvidence = latency.prior.kappa + latency.weight * fade;
    const within = lnSlo === undefined ? 1 : latency.pointWithin(lnSlo);
    const v = value.valueUsd;
    // Written into reused objects: decisions where a draw and the means disagree are common.
    const lessons = this.lessonScratch;
    lessons.length = 0;
    lessons.push(betaLesson(this.lessonAt(0), v * within * c * f, s, success.priorAlpha + success.priorBeta + success.evidence * fade, 1));
    const cost = this.lessonAt(1);
    cost.variance = (((value.latencyUsdPerSecond * latencyMs) / 1000) * latency.pointSigma()) ** 2 / latencyEvidence;
    cost.evidence = latencyEvidence;
    cost.perCall = s;
    lessons.push(cost);
    if (lnSlo !== undefined) lessons.push(betaLesson(this.lessonAt(2), v * s * c * f, within, latencyEvidence, s));
    const observable = this.learner.observable;
    if (observable.checks) lessons.push(betaLesson(this.lessonAt(3), v * s * within * f, c, quality.checks.priorAlpha + quality.checks.priorBeta + quality.checks.evidence, s));
    if (observable.feedback) {
      const feedbackEvidence = quality.feedback.priorAlpha + quality.feedback.priorBeta + quality.feedback.evidence * posterior.qualityFadeAt(now);
      lessons.push(betaLesson(this.lessonAt(4), v * s * within * c, f, feedbackEvidence, s * this.learner.feedbackRate()));
    }
    return lessons;
  }

  private lessonAt(i: number): Lesson {
    return this.lessonPool[i];
  }

  /**
   * What the arm's recent ok latencies (since its last latency change point) say about this SLO
   * and about waiting, with the weight n/(n + 100) they get against the log-normal model: the
   * empirical distribution takes over as it fills. Cached per sketch until it changes.
   */
  empirical(state: ArmState, slo: number | undefined, capMs: number): EmpiricalTail | undefined {
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

  /** Expected cost of `request` on `arm`, as used for maxCostUsd and the cost term. */
  expectedCostUsd(arm: ArmConfig, request: RouteRequest, promptTokens = estimatePromptTokens(request.messages)): number {
    const state = this.learner.stateFor(arm.id, arm);
    return this.expectedCost(arm, this.learner.knownClassPosterior(state, request.class) ?? state.global, promptTokens, request.params.maxTokens);
  }

  expectedCost(arm: ArmConfig, posterior: ArmPosterior, promptTokens: number, maxTokens: number | undefined): number {
    // Input: this request's own estimate is better than an average. Output: what this arm has
    // produced for this class, bounded by what the request and the arm allow.
    const output = Math.min(posterior.tokens.output ?? this.learner.priorsOf(arm.id).outputTokens, maxTokens ?? Infinity, arm.maxOutputTokens);
    return (promptTokens * arm.pricing.inputPer1M + output * arm.pricing.outputPer1M) / 1_000_000;
  }
}

/** A Beta-distributed factor m (n pseudo-observations) of net value, entering it with weight `scale`. */
function betaLesson(into: Lesson, scale: number, m: number, n: number, perCall: number): Lesson {
  into.variance = (scale * scale * m * (1 - m)) / (n + 1);
  into.evidence = n;
  into.perCall = perCall;
  return into;
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
    meanGood: new Float64Array(n),
    draw: { mu: 0, tau: 0 },
  };
}
