import type { Sampler } from '../stats/sampler';
import { Z95 } from '../stats/sampler';

export interface LatencyDraw {
  mu: number;
  tau: number;
}

export interface NormalGammaPrior {
  mean: number;
  kappa: number;
  shape: number;
  rate: number;
}

/**
 * A Normal-Gamma posterior on x = ln(latency ms): x ~ N(μ, 1/τ), (μ, τ) ~ NG(μn, κn, αn, βn).
 * Observations are held as exponentially discounted sufficient statistics (weight n, mean, sum of
 * squared deviations m2, each old observation weighing γ^age), so the posterior follows drift with
 * the same memory as the success posterior:
 *
 *   κn = κ0 + n,  μn = (κ0·μ0 + n·x̄)/κn,  αn = α0 + n/2,  βn = β0 + m2/2 + κ0·n·(x̄ − μ0)²/(2κn)
 *
 * A Thompson draw samples τ ~ Gamma(αn, βn), μ ~ N(μn, 1/(κn·τ)); the sampled P95 latency is
 * exp(μ + 1.645/√τ).
 */
export class NormalGamma {
  private n = 0;
  private xBar = 0;
  private m2 = 0;
  /** pointEstimate() changes only when evidence does; decisions read it for every arm. */
  private point: { medianMs: number; p95Ms: number } | undefined;

  constructor(readonly prior: NormalGammaPrior) {}

  get weight(): number {
    return this.n;
  }

  observe(x: number, discount: number): void {
    this.point = undefined;
    this.n *= discount;
    this.m2 *= discount;
    const n1 = this.n + 1;
    const delta = x - this.xBar;
    this.xBar += delta / n1;
    this.m2 += delta * (x - this.xBar);
    this.n = n1;
  }

  fade(factor: number): void {
    this.point = undefined;
    this.n *= factor;
    this.m2 *= factor;
  }

  posterior(fade = 1): NormalGammaPrior {
    const { mean: mu0, kappa: k0, shape: a0, rate: b0 } = this.prior;
    const n = this.n * fade;
    const kappa = k0 + n;
    const d = this.xBar - mu0;
    return {
      mean: (k0 * mu0 + n * this.xBar) / kappa,
      kappa,
      shape: a0 + n / 2,
      rate: b0 + (this.m2 * fade) / 2 + (k0 * n * d * d) / (2 * kappa),
    };
  }

  /**
   * One draw of (μ, τ), written into `out` (the decision loop passes one scratch object for all
   * arms rather than allocating per arm).
   */
  sample(sampler: Sampler, fade = 1, out: LatencyDraw = { mu: 0, tau: 0 }): LatencyDraw {
    const { mean: mu0, kappa: k0, shape: a0, rate: b0 } = this.prior;
    const n = this.n * fade;
    const kappa = k0 + n;
    const d = this.xBar - mu0;
    const rate = b0 + (this.m2 * fade) / 2 + (k0 * n * d * d) / (2 * kappa);
    out.tau = sampler.gamma(a0 + n / 2, rate);
    out.mu = sampler.normal((k0 * mu0 + n * this.xBar) / kappa, 1 / Math.sqrt(kappa * out.tau));
    return out;
  }

  /** Plug-in estimates: median latency exp(μn) and P95 with σ² = βn/αn. */
  pointEstimate(): { medianMs: number; p95Ms: number } {
    if (!this.point) {
      const p = this.posterior();
      this.point = { medianMs: Math.exp(p.mean), p95Ms: Math.exp(p.mean + Z95 * Math.sqrt(p.rate / p.shape)) };
    }
    return this.point;
  }

  /** Replaces the evidence, e.g. with what was seen since a detected change point. */
  resetEvidence(weight: number, mean: number, m2: number): void {
    this.point = undefined;
    this.n = weight;
    this.xBar = mean;
    this.m2 = m2;
  }

  /** Replaces this posterior's evidence with a copy of `other`'s, at most `maxWeight` of it. */
  adopt(other: NormalGamma, maxWeight = Infinity): void {
    const scale = other.n > maxWeight ? maxWeight / other.n : 1;
    this.resetEvidence(other.n * scale, other.xBar, other.m2 * scale);
  }

  /**
   * Mean and standard deviation of the posterior predictive of the next x (Student-t, as a
   * Gaussian): μn and √(βn/αn · (κn+1)/κn).
   */
  predictive(): { mean: number; sd: number } {
    const p = this.posterior();
    return { mean: p.mean, sd: Math.sqrt(((p.rate / p.shape) * (p.kappa + 1)) / p.kappa) };
  }

  copyCapped(maxWeight: number): NormalGamma {
    const copy = new NormalGamma(this.prior);
    const scale = this.n > maxWeight ? maxWeight / this.n : 1;
    copy.n = this.n * scale;
    copy.xBar = this.xBar;
    copy.m2 = this.m2 * scale;
    return copy;
  }
}

/** Draws a P95 from one posterior sample: exp(μ + 1.645/√τ). */
export function p95FromSample(mu: number, tau: number): number {
  return Math.exp(mu + Z95 / Math.sqrt(tau));
}
