import type { Sampler } from '../stats/sampler';
import { DiscountedBeta } from './discounted-beta';
import { ShiftDetector } from './shift-detector';

/** Where a quality score comes from: an answer check (every answer, at once) or feedback (some answers, later). */
export type QualitySource = 'check' | 'feedback';

/**
 * P(acceptable | ok) for one arm and class, as two factors that are observed differently:
 * - P(the answer passes the answer checks): every answer is checked, so this is learnt from all
 *   traffic, at the outcome discount;
 * - P(acceptable | it passed): from feedback scores in [0, 1], which come for a minority of answers,
 *   hours late; remembered for fewer scores (a shorter discount) and watched by a CUSUM tuned for
 *   drops of about a fifth, so a silent quality drop replaces the old evidence after a few dozen
 *   bad scores instead of fading out over hundreds.
 * Counting a passed check as "acceptable" would bias the second factor up, so a pass only informs
 * the first one.
 */
export class QualityPosterior {
  constructor(
    readonly checks: DiscountedBeta,
    readonly feedback: DiscountedBeta,
    private readonly detector: ShiftDetector | undefined,
  ) {}

  get mean(): number {
    return this.checks.mean * this.feedback.mean;
  }

  /** Scores behind the feedback factor (the slower one to learn). */
  get evidence(): number {
    return this.feedback.evidence;
  }

  /** Learns one score; true when a change point replaced the feedback evidence. */
  observe(score: number, source: QualitySource, discounts: { check: number; feedback: number }): boolean {
    if (source === 'check') {
      this.checks.observe(score, discounts.check);
      return false;
    }
    const baseline = this.feedback.mean;
    this.feedback.observe(score, discounts.feedback);
    const shift = this.detector?.observe(score >= 0.5, baseline);
    if (!shift) return false;
    const memory = 1 / (1 - discounts.feedback);
    const scale = Math.min(1, memory / (shift.successes + shift.failures));
    this.feedback.resetEvidence(shift.successes * scale, shift.failures * scale);
    return true;
  }

  /**
   * One Thompson draw. `observable` says which factors can be learnt at all (some arm has had a
   * check or a feedback score). A factor that cannot contributes its prior mean, not a draw:
   * sampling it would add the same noise to every decision forever, drowning the success, latency
   * and cost signals, and explore nothing that could be learnt. Once it can, an arm nobody has
   * scored is drawn from its prior, so the uncertainty itself sends it traffic.
   */
  sample(sampler: Sampler, observable: { checks: boolean; feedback: boolean } = { checks: true, feedback: true }, feedbackFade = 1): number {
    const checks = observable.checks || this.checks.evidence > 0 ? this.checks.sample(sampler) : this.checks.mean;
    // `feedbackFade` < 1 widens the draw of scores that are getting old (as staleness does for
    // outcomes): an arm whose feedback stopped coming, because it stopped getting traffic, is
    // re-tried instead of being judged forever on a few unlucky early scores.
    const feedback = observable.feedback || this.feedback.evidence > 0 ? this.feedback.sample(sampler, feedbackFade) : this.feedback.mean;
    return checks * feedback;
  }

  /**
   * A lower credible bound of P(acceptable | ok): the product of the factors' lower bounds, each
   * by a normal approximation of its Beta (cheap; conservative, as a floor should be).
   */
  lowerBound(z = 1.645): number {
    const lb = (b: DiscountedBeta) => Math.max(0, b.mean - z * Math.sqrt(b.variance));
    return lb(this.checks) * lb(this.feedback);
  }

  copyCapped(cap: number, detector: ShiftDetector | undefined): QualityPosterior {
    return new QualityPosterior(this.checks.copyCapped(cap), this.feedback.copyCapped(cap), detector);
  }

  adopt(other: QualityPosterior, cap: number): void {
    this.feedback.adopt(other.feedback, cap);
    this.detector?.reset();
  }
}
