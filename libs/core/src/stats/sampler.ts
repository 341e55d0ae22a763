import type { Random } from '../ports/random';

/**
 * Draws from the distributions the routing posteriors need, using only an injected `Random`, so a
 * seed reproduces every decision. Normal: Box–Muller (the second variate of each pair is kept for
 * the next call). Gamma: Marsaglia–Tsang (2000) squeeze, with the `U^(1/a)` boost for shape < 1.
 * Beta: X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).
 */
export class Sampler {
  // The spare variate lives in a number-only field with a separate flag: a field that also holds
  // `undefined` keeps each stored double as a fresh heap object, one allocation per normal pair.
  private spare = 0;
  private hasSpare = false;

  constructor(readonly random: Random) {}

  /** Uniform in (0, 1]: never 0, so its logarithm is finite. */
  uniformOpen(): number {
    return 1 - this.random.next();
  }

  standardNormal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniformOpen()));
    const angle = 2 * Math.PI * this.random.next();
    this.spare = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }

  normal(mean: number, sd: number): number {
    return mean + sd * this.standardNormal();
  }

  /** Gamma with the given shape and rate (mean shape/rate). */
  gamma(shape: number, rate = 1): number {
    if (!(shape > 0) || !(rate > 0)) throw gammaRangeError(shape, rate);
    if (shape < 1) return (this.gamma(shape + 1, rate) * Math.pow(this.uniformOpen(), 1 / shape));
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.standardNormal();
      let v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = this.uniformOpen();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return (d * v) / rate;
    }
  }

  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x / (x + y);
  }
}

// Out of line: the message template would make gamma too large for the compiler to inline into
// the decision loop, where each call left out returns its number as a fresh heap object.
function gammaRangeError(shape: number, rate: number): RangeError {
  return new RangeError(`gamma needs shape > 0 and rate > 0, got ${shape}, ${rate}`);
}

/** Numerical Recipes' Chebyshev fit of erfc(x), x ≥ 0: relative error < 1.2e-7 everywhere. */
function erfcFit(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  return t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}
/** The fit is 1 + 2e-7 at 0; dividing by it makes the CDF exactly 0.5 there, so it stays monotone. */
const ERFC_AT_0 = erfcFit(0);

/**
 * Standard normal CDF through erfc, so the far lower tail keeps its relative accuracy (the batch
 * decision divides by it); |error| < 3e-7.
 */
export function normalCdf(z: number): number {
  const half = erfcFit(Math.abs(z) / Math.SQRT2) / ERFC_AT_0 / 2;
  return z >= 0 ? 1 - half : half;
}

/** z-score of the 95th percentile of a normal distribution. */
export const Z95 = 1.6448536269514722;
