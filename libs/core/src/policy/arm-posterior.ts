import { DiscountedBeta } from './discounted-beta';
import { LatencyShiftDetector, ShiftDetector } from './shift-detector';
import { NormalGamma } from './normal-gamma';
import type { PolicyPriors } from './priors';
import { QualityPosterior, type QualitySource } from './quality-posterior';
import { TokenEwma } from './token-ewma';
import { RegimeMemory } from './regime-memory';

export interface PosteriorSettings {
  /** γ, applied per observation. */
  discount: number;
  /** Evidence kept per idle minute once an arm has been idle longer than the grace period. */
  stalenessDecayPerMinute: number;
  stalenessGraceMs: number;
  tokenEwmaWeight: number;
  /** false turns the CUSUM shift detector off. */
  shiftDetection: { threshold: number; ratio: number; upThreshold: number } | false;
  /** Two-sided CUSUM on ln(latency) (see LatencyShiftDetector); false or absent turns it off. */
  latencyShiftDetection?: { threshold: number; slack: number } | false;
  /**
   * γ per quality score. Scores are sparse (feedback comes for a minority of answers), so they are
   * remembered for fewer observations than outcomes (default 0.99: ≈ 100 scores).
   */
  qualityDiscount?: number;
  /**
   * CUSUM on acceptability; default tuned for drops of ≈ 20 % (ratio 0.8) with a low alarm threshold
   * (ln 100): feedback is sparse and an arm that got worse soon gets little traffic and so little
   * feedback, so waiting for strong evidence would leave it on a stale, too-good estimate. A false
   * alarm only replaces the evidence with the recent scores (more exploration, no lost answers).
   */
  qualityShiftDetection?: { threshold: number; ratio: number; upThreshold: number } | false;
}

export const DEFAULT_QUALITY_DISCOUNT = 0.99;
export const DEFAULT_QUALITY_SHIFT = Object.freeze({ threshold: Math.log(100), ratio: 0.8, upThreshold: Math.log(100) });

/** Which parts of a posterior a detected change point just replaced. */
export interface PosteriorShift {
  success: boolean;
  latency: boolean;
  quality?: boolean;
  /** The success change was a drop (the normal regime is kept, see RegimeMemory)... */
  drop?: boolean;
  /** ...or a recovery (the kept regime, if any, is back). */
  recovery?: boolean;
}

/** Latency change detection starts once the posterior holds this many observations. */
const LATENCY_DETECTION_MIN_WEIGHT = 5;

/** Read right after it is written (observe): one object for every posterior instead of one per outcome. */
const predictiveScratch = { mean: 0, sd: 0 };

export interface ObservedOutcome {
  /** ok (true) or a failure that counts against the arm (false). */
  success: boolean;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
}

/** Everything the policy believes about one arm, for one request class (or all classes). */
export class ArmPosterior {
  observations = 0;
  lastObservedAt: number | undefined;
  /** Success evidence from before the last detected drop, given back on recovery. */
  private readonly regime = new RegimeMemory();

  private constructor(
    readonly success: DiscountedBeta,
    readonly latency: NormalGamma,
    readonly tokens: TokenEwma,
    private readonly detector: ShiftDetector | undefined,
    private readonly settings: PosteriorSettings,
    readonly quality: QualityPosterior,
    private readonly latencyDetector: LatencyShiftDetector | undefined = latencyDetectorFor(settings),
  ) {}

  static fromPriors(priors: PolicyPriors, settings: PosteriorSettings): ArmPosterior {
    return new ArmPosterior(
      new DiscountedBeta(priors.successAlpha, priors.successBeta),
      new NormalGamma({ mean: Math.log(priors.latencyMedianMs), kappa: priors.latencyKappa, shape: priors.latencyShape, rate: priors.latencyRate }),
      new TokenEwma(settings.tokenEwmaWeight),
      detectorFor(settings),
      settings,
      new QualityPosterior(new DiscountedBeta(priors.checkPassAlpha, priors.checkPassBeta), new DiscountedBeta(priors.qualityAlpha, priors.qualityBeta), qualityDetectorFor(settings)),
    );
  }

  /** A new class starts from the arm's global posterior, trusted for at most `cap` observations. */
  static warmStart(global: ArmPosterior, cap: number): ArmPosterior {
    const posterior = new ArmPosterior(
      global.success.copyCapped(cap),
      global.latency.copyCapped(cap),
      global.tokens.copy(),
      detectorFor(global.settings),
      global.settings,
      global.quality.copyCapped(cap, qualityDetectorFor(global.settings)),
    );
    posterior.lastObservedAt = global.lastObservedAt;
    return posterior;
  }

  /**
   * Staleness inflation: the fraction of evidence still trusted at `now`. 1 while the arm was
   * observed within the grace period, then decayPerMinute^(idle minutes beyond grace), so an arm
   * nobody tried for a while is sampled widely again and gets re-tried.
   */
  fadeAt(now: number): number {
    if (this.lastObservedAt === undefined) return 1;
    const idle = now - this.lastObservedAt - this.settings.stalenessGraceMs;
    return idle > 0 ? staleness(this.settings.stalenessDecayPerMinute, idle) : 1;
  }

  /**
   * Learns one outcome. Returns which evidence a detected change point replaced (success and/or
   * latency), so the caller can pass the change on (global → class posteriors), else undefined.
   */
  observe(outcome: ObservedOutcome, now: number): PosteriorShift | undefined {
    const fade = this.fadeAt(now);
    if (fade < 1) {
      this.success.fade(fade);
      this.latency.fade(fade);
    }
    const baseline = this.success.mean;
    this.success.observe(outcome.success ? 1 : 0, this.settings.discount);
    const memory = 1 / (1 - this.settings.discount);
    const shift = this.detector?.observe(outcome.success, baseline);
    let drop = false;
    if (shift) {
      // Never trust a segment beyond the discount's own memory.
      const scale = Math.min(1, memory / (shift.successes + shift.failures));
      const segment = { successes: shift.successes * scale, failures: shift.failures * scale };
      drop = shift.successes / (shift.successes + shift.failures) < baseline;
      if (drop) this.regime.remember(this.success, now);
      if (drop || !this.regime.restore(this.success, now, this.settings.stalenessDecayPerMinute, segment)) this.success.resetEvidence(segment.successes, segment.failures);
    }
    let latencyShift = false;
    if (outcome.success) {
      const x = Math.log(Math.max(1, outcome.latencyMs));
      if (this.latencyDetector && this.latency.weight >= LATENCY_DETECTION_MIN_WEIGHT) {
        const { mean, sd } = this.latency.predictive(predictiveScratch);
        const segment = this.latencyDetector.observe(x, mean, sd);
        if (segment) {
          const scale = Math.min(1, memory / segment.count);
          this.latency.resetEvidence(segment.count * scale, segment.mean, segment.m2 * scale);
          latencyShift = true;
        }
      }
      if (!latencyShift) this.latency.observe(x, this.settings.discount);
      this.tokens.observe(outcome.inputTokens, outcome.outputTokens);
    }
    this.observations++;
    this.lastObservedAt = Math.max(this.lastObservedAt ?? now, now);
    if (!shift && !latencyShift) return undefined;
    return { success: shift !== undefined, latency: latencyShift, ...(shift ? (drop ? { drop: true } : { recovery: true }) : {}) };
  }

  /**
   * The arm recovered (its circuit breaker closed after successful probes): the success evidence
   * of its normal regime, kept since the drop, comes back with the probe successes; the outage's
   * failures go. Returns the shift to pass on to class posteriors, or undefined when no drop was
   * detected (then the evidence already describes a working arm).
   */
  recover(now: number): PosteriorShift | undefined {
    const since = { successes: this.success.counts.successes, failures: 0 };
    if (!this.regime.restore(this.success, now, this.settings.stalenessDecayPerMinute, since)) return undefined;
    this.detector?.reset();
    this.lastObservedAt = Math.max(this.lastObservedAt ?? now, now);
    return { success: true, latency: false, recovery: true };
  }

  /**
   * Learns one quality score in [0, 1] for an answer this arm gave (an answer check, or feedback
   * that may arrive hours later). `answeredAt` (default `now`) is when that answer was given: the
   * feedback evidence is as fresh as the newest answer it judged, not as the last score's arrival.
   * Returns a shift when a change point replaced the evidence.
   */
  observeQuality(score: number, source: QualitySource, now: number, answeredAt = now): PosteriorShift | undefined {
    const changed = this.quality.observe(score, source, { check: this.settings.discount, feedback: this.settings.qualityDiscount ?? DEFAULT_QUALITY_DISCOUNT });
    if (source === 'feedback') this.lastQualityAt = Math.max(this.lastQualityAt ?? answeredAt, answeredAt);
    return changed ? { success: false, latency: false, quality: true } : undefined;
  }

  /** When the last feedback score arrived (checks come with every answer and do not count). */
  lastQualityAt: number | undefined;

  /** The share of feedback evidence still trusted at `now`: the staleness rule of outcomes, applied to quality scores. */
  qualityFadeAt(now: number): number {
    if (this.lastQualityAt === undefined) return 1;
    const idle = now - this.lastQualityAt - this.settings.stalenessGraceMs;
    return idle > 0 ? staleness(this.settings.stalenessDecayPerMinute, idle) : 1;
  }

  /**
   * Takes over the evidence `source` (the arm's global posterior) holds right after it detected a
   * change point, for the parts that changed, at most `cap` pseudo-observations of it (the warm-start
   * rule), and restarts this posterior's own detectors: a class that rarely sees the arm learns of a
   * drop or recovery from the arm's traffic as a whole instead of waiting for its own evidence.
   */
  adoptShift(source: ArmPosterior, shift: PosteriorShift, cap: number, now: number): void {
    const fade = this.fadeAt(now);
    if (fade < 1) {
      // Age the evidence that stays before the clock restarts, as observe() would have.
      this.success.fade(fade);
      this.latency.fade(fade);
    }
    if (shift.success) {
      // A class keeps its own normal regime through a drop and gets it back on recovery.
      if (shift.drop) this.regime.remember(this.success, now);
      const restored = shift.recovery === true && this.regime.restore(this.success, now, this.settings.stalenessDecayPerMinute, { successes: 0, failures: 0 });
      if (!restored) this.success.adopt(source.success, cap);
      this.detector?.reset();
    }
    if (shift.latency) {
      this.latency.adopt(source.latency, cap);
      this.latencyDetector?.reset();
    }
    if (shift.quality) this.quality.adopt(source.quality, cap);
    this.lastObservedAt = Math.max(this.lastObservedAt ?? now, now);
  }
}

/** Slots of the staleness cache: idle times up to ≈ 33 s map to a slot of their own. */
const STALENESS_SLOTS = 32_768;
/** Per decay rate: [idle, fade] pairs side by side (one memory access per lookup); idle NaN = empty. */
const stalenessCaches = new Map<number, Float64Array>();
/** The table last used (one decay rate per router, so nearly always this one). */
let lastDecay = NaN;
let lastTable: Float64Array | undefined;

/**
 * decayPerMinute^(idleMs / 60 000), remembered by idle time. Every decision fades every eligible
 * arm's posterior, and Math.pow was the costliest step of scoring an arm after the draws
 * themselves; idle times are whole milliseconds on a millisecond clock and the same ones come up
 * again and again (each arm passes through the same idle times after each observation), so a
 * direct-mapped table answers most of them. A hit returns the number Math.pow gave for exactly
 * that idle time; a miss computes and keeps it.
 */
function staleness(decayPerMinute: number, idleMs: number): number {
  if (!(idleMs < 2_147_483_648)) return Math.pow(decayPerMinute, idleMs / 60_000);
  let table = lastTable;
  if (table === undefined || lastDecay !== decayPerMinute) {
    table = stalenessCaches.get(decayPerMinute);
    if (!table) {
      table = new Float64Array(2 * STALENESS_SLOTS).fill(NaN);
      stalenessCaches.set(decayPerMinute, table);
    }
    lastTable = table;
    lastDecay = decayPerMinute;
  }
  const slot = 2 * ((idleMs | 0) & (STALENESS_SLOTS - 1));
  if (table[slot] === idleMs) return table[slot + 1];
  const fade = Math.pow(decayPerMinute, idleMs / 60_000);
  table[slot] = idleMs;
  table[slot + 1] = fade;
  return fade;
}

function latencyDetectorFor(settings: PosteriorSettings): LatencyShiftDetector | undefined {
  return settings.latencyShiftDetection ? new LatencyShiftDetector(settings.latencyShiftDetection.threshold, settings.latencyShiftDetection.slack) : undefined;
}

function detectorFor(settings: PosteriorSettings): ShiftDetector | undefined {
  return settings.shiftDetection ? new ShiftDetector(settings.shiftDetection.threshold, settings.shiftDetection.ratio, settings.shiftDetection.upThreshold) : undefined;
}

function qualityDetectorFor(settings: PosteriorSettings): ShiftDetector | undefined {
  const q = settings.qualityShiftDetection ?? DEFAULT_QUALITY_SHIFT;
  return q ? new ShiftDetector(q.threshold, q.ratio, q.upThreshold) : undefined;
}
