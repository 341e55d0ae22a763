import type { Sampler } from '../stats/sampler';
import { normalCdf, Z95 } from '../stats/sampler';

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
  private point: { medianMs: number; p95Ms: number; mu: number; sigma: number } | undefined;
  /** pointMeanMs(cap) for the last cap asked, kept with the point estimate (NaN: not computed since it changed). */
  private pointMeanCap = NaN;
  private pointMean = 0;
  /** pointWithin(lnSlo) for the last lnSlo asked (NaN: not computed since the evidence changed). */
  private pointWithinSlo = NaN;
  private pointWithinValue = 0;

  constructor(readonly prior: NormalGammaPrior) {}

  get weight(): number {
    return this.n;
  }

  observe(x: number, discount: number): void {
    this.changed();
    this.n *= discount;
    this.m2 *= discount;
    const n1 = this.n + 1;
    const delta = x - this.xBar;
    this.xBar += delta / n1;
    this.m2 += delta * (x - this.xBar);
    this.n = n1;
  }

  fade(factor: number): void {
    this.changed();
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
    return this.pointParts();
  }

  /**
   * P(latency ≤ exp(lnSlo)) by the point estimate: the log-normal with median exp(μn) and σ from
   * the P95/median ratio (at least 1e-3), as pointMeanMs reads it.
   */
  pointWithin(lnSlo: number): number {
    // Every decision asks it for every eligible arm, mostly with the SLO of the last ask and no new
    // evidence since: kept like pointMeanMs.
    if (this.pointWithinSlo !== lnSlo) {
      const point = this.pointParts();
      this.pointWithinValue = normalCdf((lnSlo - point.mu) / point.sigma);
      this.pointWithinSlo = lnSlo;
    }
    return this.pointWithinValue;
  }

  /** σ of ln latency by the point estimate (as pointWithin reads it). */
  pointSigma(): number {
    return this.pointParts().sigma;
  }

  private pointParts(): { medianMs: number; p95Ms: number; mu: number; sigma: number } {
    if (!this.point) {
      const p = this.posterior();
      const medianMs = Math.exp(p.mean);
      const p95Ms = Math.exp(p.mean + Z95 * Math.sqrt(p.rate / p.shape));
      this.point = { medianMs, p95Ms, mu: Math.log(medianMs), sigma: Math.max(1e-3, Math.log(p95Ms / medianMs) / Z95) };
    }
    return this.point;
  }

  /**
   * What a caller waits on average according to the point estimate: the mean of the log-normal with
   * median exp(μn) and σ from the P95/median ratio (at least 1e-3), truncated at `capMs` (see
   * truncatedLogNormalMean). Decisions read it for every arm; it changes only with the evidence, so
   * it is kept with the point estimate instead of costing two logarithms, an exponential and two
   * normal CDFs per arm per decision.
   */
  pointMeanMs(capMs: number): number {
    if (this.pointMeanCap !== capMs) {
      const point = this.pointEstimate();
      const sigma = Math.max(1e-3, Math.log(point.p95Ms / point.medianMs) / Z95);
      this.pointMean = truncatedLogNormalMean(Math.log(point.medianMs), 1 / (sigma * sigma), capMs);
      this.pointMeanCap = capMs;
    }
    return this.pointMean;
  }

  /** Replaces the evidence, e.g. with what was seen since a detected change point. */
  resetEvidence(weight: number, mean: number, m2: number): void {
    this.changed();
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
  predictive(out: { mean: number; sd: number } = { mean: 0, sd: 0 }): { mean: number; sd: number } {
    // posterior() at fade 1, written out so that every ok outcome does not allocate two objects.
    const { mean: mu0, kappa: k0, shape: a0, rate: b0 } = this.prior;
    const n = this.n;
    const kappa = k0 + n;
    const d = this.xBar - mu0;
    const shape = a0 + n / 2;
    const rate = b0 + this.m2 / 2 + (k0 * n * d * d) / (2 * kappa);
    out.mean = (k0 * mu0 + n * this.xBar) / kappa;
    out.sd = Math.sqrt(((rate / shape) * (kappa + 1)) / kappa);
    return out;
  }

  private changed(): void {
    this.point = undefined;
    this.pointMeanCap = NaN;
    this.pointWithinSlo = NaN;
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

/**
 * E[min(X, cap)] for ln X ~ N(μ, 1/τ): exp(μ + σ²/2)·Φ((ln cap − μ − σ²)/σ) + cap·(1 − Φ((ln cap − μ)/σ)).
 * A vague prior's draw can have σ of several units, whose untruncated mean is astronomically large.
 */
export function truncatedLogNormalMean(mu: number, tau: number, cap: number): number {
  const sigma = 1 / Math.sqrt(tau);
  const lnCap = Math.log(Math.max(1, cap));
  const body = Math.exp(mu + 0.5 * sigma * sigma) * normalCdf((lnCap - mu - sigma * sigma) / sigma);
  return (Number.isFinite(body) ? body : 0) + cap * (1 - normalCdf((lnCap - mu) / sigma));
}
