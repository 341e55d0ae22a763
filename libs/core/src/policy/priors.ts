/**
 * What the policy believes about an arm before it has seen any outcome. Defaults are deliberately
 * vague (uniform success, median 1 s with a wide spread) so a new arm is tried, not trusted.
 * Per-arm overrides come from configuration (see `ThompsonOptions.armPriors`).
 */
export interface PolicyPriors {
  /** Beta(successAlpha, successBeta) on P(ok); also the floor the discount decays towards. */
  successAlpha: number;
  successBeta: number;
  /** Normal-Gamma prior on ln(latency ms): μ0 = ln(latencyMedianMs). */
  latencyMedianMs: number;
  /** Pseudo-observations behind μ0. */
  latencyKappa: number;
  /** Gamma(shape, rate) on the precision τ of ln(latency); E[τ] = shape / rate. */
  latencyShape: number;
  latencyRate: number;
  /** Output tokens expected before any observation (expected cost needs a number). */
  outputTokens: number;
  /**
   * Beta(qualityAlpha, qualityBeta) on P(acceptable | ok), from answer checks and feedback; the
   * pseudo-counts say how much a routing-table quality prior is trusted against observed scores.
   */
  qualityAlpha: number;
  qualityBeta: number;
  /** Beta prior on P(an answer passes the answer checks). */
  checkPassAlpha: number;
  checkPassBeta: number;
}

export const DEFAULT_PRIORS: Readonly<PolicyPriors> = Object.freeze({
  successAlpha: 1,
  successBeta: 1,
  latencyMedianMs: 1_000,
  latencyKappa: 0.1,
  latencyShape: 2,
  latencyRate: 0.5,
  outputTokens: 256,
  // Mean 0.8 on 5 pseudo-observations: plausible for any hosted model, quickly overruled.
  qualityAlpha: 4,
  qualityBeta: 1,
  // Mean 0.99 on 20 pseudo-observations: most answers pass the checks, and a lower prior would
  // handicap every little-used arm against well-known ones; checks see every answer, so an arm
  // that fails them often is found out within a few dozen answers.
  checkPassAlpha: 19.8,
  checkPassBeta: 0.2,
});
