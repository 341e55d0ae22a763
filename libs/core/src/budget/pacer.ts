export interface PacingOptions {
  /** Cost weight at 100% of a cap (default 5). */
  maxWeight?: number;
  /** Steepness: the weight stays near 1 until spend nears the cap (default 4). */
  exponent?: number;
}

/**
 * The budget pacer's cost weight for one cap: 1 + (max − 1)·(spent/cap)^exponent, i.e. by default
 * 1 + 4·(spent/cap)^4: ×1.02 at 30% spent, ×1.25 at 50%, ×2.6 at 80%, ×5 at the cap. The selector
 * multiplies it into the cost term, so traffic drifts to cheaper arms before anything is refused.
 */
export function pacingWeight(spentUsd: number, capUsd: number, options: PacingOptions = {}): number {
  if (!(capUsd > 0)) return 1;
  const fraction = Math.min(1, Math.max(0, spentUsd / capUsd));
  return 1 + ((options.maxWeight ?? 5) - 1) * Math.pow(fraction, options.exponent ?? 4);
}
