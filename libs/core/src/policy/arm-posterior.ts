import { DiscountedBeta } from './discounted-beta';
import { ShiftDetector } from './shift-detector';
import { NormalGamma } from './normal-gamma';
import type { PolicyPriors } from './priors';
import { TokenEwma } from './token-ewma';

export interface PosteriorSettings {
  /** γ, applied per observation. */
  discount: number;
  /** Evidence kept per idle minute once an arm has been idle longer than the grace period. */
  stalenessDecayPerMinute: number;
  stalenessGraceMs: number;
  tokenEwmaWeight: number;
  /** false turns the CUSUM shift detector off. */
  shiftDetection: { threshold: number; ratio: number; upThreshold: number } | false;
}

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

  private constructor(
    readonly success: DiscountedBeta,
    readonly latency: NormalGamma,
    readonly tokens: TokenEwma,
    private readonly detector: ShiftDetector | undefined,
    private readonly settings: PosteriorSettings,
  ) {}

  static fromPriors(priors: PolicyPriors, settings: PosteriorSettings): ArmPosterior {
    return new ArmPosterior(
      new DiscountedBeta(priors.successAlpha, priors.successBeta),
      new NormalGamma({ mean: Math.log(priors.latencyMedianMs), kappa: priors.latencyKappa, shape: priors.latencyShape, rate: priors.latencyRate }),
      new TokenEwma(settings.tokenEwmaWeight),
      detectorFor(settings),
      settings,
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
    return idle > 0 ? Math.pow(this.settings.stalenessDecayPerMinute, idle / 60_000) : 1;
  }

  observe(outcome: ObservedOutcome, now: number): void {
    const fade = this.fadeAt(now);
    if (fade < 1) {
      this.success.fade(fade);
      this.latency.fade(fade);
    }
    const baseline = this.success.mean;
    this.success.observe(outcome.success ? 1 : 0, this.settings.discount);
    const shift = this.detector?.observe(outcome.success, baseline);
    if (shift) {
      // Never trust a segment beyond the discount's own memory.
      const scale = Math.min(1, 1 / (1 - this.settings.discount) / (shift.successes + shift.failures));
      this.success.resetEvidence(shift.successes * scale, shift.failures * scale);
    }
    if (outcome.success) {
      this.latency.observe(Math.log(Math.max(1, outcome.latencyMs)), this.settings.discount);
      this.tokens.observe(outcome.inputTokens, outcome.outputTokens);
    }
    this.observations++;
    this.lastObservedAt = Math.max(this.lastObservedAt ?? now, now);
  }
}

function detectorFor(settings: PosteriorSettings): ShiftDetector | undefined {
  return settings.shiftDetection ? new ShiftDetector(settings.shiftDetection.threshold, settings.shiftDetection.ratio, settings.shiftDetection.upThreshold) : undefined;
}
