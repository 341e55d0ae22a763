import type { Sampler } from '../stats/sampler';

/**
 * A discounted Beta posterior on a success probability. The evidence above the prior decays by γ
 * on every observation:
 *
 *   α ← α0 + γ·(α − α0) + s,   β ← β0 + γ·(β − β0) + (1 − s)
 *
 * which is the issue's `α ← γα + s` with the prior kept as a floor (α ≥ α0, β ≥ β0 always), so the
 * posterior never collapses to certainty and an old regime fades with a memory of 1/(1−γ)
 * observations (≈ 333 at γ = 0.997).
 */
export class DiscountedBeta {
  /** Evidence above the prior. */
  private a = 0;
  private b = 0;

  constructor(
    readonly priorAlpha: number,
    readonly priorBeta: number,
  ) {}

  get alpha(): number {
    return this.priorAlpha + this.a;
  }

  get beta(): number {
    return this.priorBeta + this.b;
  }

  /** Pseudo-observations above the prior. */
  get evidence(): number {
    return this.a + this.b;
  }

  get mean(): number {
    return this.alpha / (this.alpha + this.beta);
  }

  get variance(): number {
    const n = this.alpha + this.beta;
    return (this.alpha * this.beta) / (n * n * (n + 1));
  }

  observe(success: number, discount: number): void {
    this.a = discount * this.a + success;
    this.b = discount * this.b + (1 - success);
  }

  /** Removes up to one failure from the evidence (a failure reported too early, see hung calls). */
  retractFailure(): void {
    this.b = Math.max(0, this.b - 1);
  }

  /** Shrinks the evidence towards the prior (staleness); the mean stays, the variance widens. */
  fade(factor: number): void {
    this.a *= factor;
    this.b *= factor;
  }

  /** The evidence above the prior, as pseudo-successes and pseudo-failures. */
  get counts(): { successes: number; failures: number } {
    return { successes: this.a, failures: this.b };
  }

  /** Replaces the evidence, e.g. with what was seen since a detected change point. */
  resetEvidence(successes: number, failures: number): void {
    this.a = successes;
    this.b = failures;
  }

  /** Replaces this posterior's evidence with a copy of `other`'s, at most `maxEvidence` of it. */
  adopt(other: DiscountedBeta, maxEvidence = Infinity): void {
    const scale = other.evidence > maxEvidence ? maxEvidence / other.evidence : 1;
    this.a = other.a * scale;
    this.b = other.b * scale;
  }

  /** One Thompson draw; `fade` widens the draw without changing the stored evidence. */
  sample(sampler: Sampler, fade = 1): number {
    return sampler.beta(this.priorAlpha + this.a * fade, this.priorBeta + this.b * fade);
  }

  /** A copy whose evidence is at most `maxEvidence` pseudo-observations (same mean). */
  copyCapped(maxEvidence: number): DiscountedBeta {
    const copy = new DiscountedBeta(this.priorAlpha, this.priorBeta);
    const scale = this.evidence > maxEvidence ? maxEvidence / this.evidence : 1;
    copy.a = this.a * scale;
    copy.b = this.b * scale;
    return copy;
  }
}
