import { normalCdf, Z95 } from '../stats/sampler';

/**
 * A distribution of batch completion times (ms from submission to ended), as the batch decision
 * needs it: the probability of being done by a time, and the mean time of the batches that are.
 */
export interface CompletionTimeModel {
  /** P(T ≤ ms). */
  cdf(ms: number): number;
  /** E[T · 1{T ≤ ms}]: the mean completion time of the batches done by `ms`, times their share. */
  partialMean(ms: number): number;
}

/**
 * What the provider documents and nothing more: done within the window, at no known time in it
 * (uniform). The prior before any batch of the arm has been seen to complete.
 */
export function documentedBound(windowMs: number): CompletionTimeModel {
  const clip = (ms: number) => Math.min(Math.max(ms, 0), windowMs);
  return {
    cdf: (ms) => clip(ms) / windowMs,
    partialMean: (ms) => (clip(ms) * clip(ms)) / (2 * windowMs),
  };
}

/** Log-normal from a median and a P95 (the same parametrisation as the simulator's latencies). */
export function logNormalCompletion(medianMs: number, p95Ms: number): CompletionTimeModel {
  if (!(medianMs > 0) || !(p95Ms >= medianMs)) throw new RangeError(`need 0 < median <= p95, got ${medianMs}, ${p95Ms}`);
  const mu = Math.log(medianMs);
  const sigma = Math.log(p95Ms / medianMs) / Z95;
  if (sigma === 0) {
    return { cdf: (ms) => (ms >= medianMs ? 1 : 0), partialMean: (ms) => (ms >= medianMs ? medianMs : 0) };
  }
  return {
    cdf: (ms) => (ms <= 0 ? 0 : normalCdf((Math.log(ms) - mu) / sigma)),
    partialMean: (ms) => (ms <= 0 ? 0 : Math.exp(mu + (sigma * sigma) / 2) * normalCdf((Math.log(ms) - mu - sigma * sigma) / sigma)),
  };
}

/** The learned distribution: the completion times observed for an arm, as they are. */
export function empiricalCompletion(samplesMs: readonly number[]): CompletionTimeModel {
  if (samplesMs.length === 0) throw new RangeError('no completion times observed');
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const prefix = [0];
  for (const s of sorted) prefix.push(prefix[prefix.length - 1] + s);
  const doneBy = (ms: number) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    cdf: (ms) => doneBy(ms) / sorted.length,
    partialMean: (ms) => prefix[doneBy(ms)] / sorted.length,
  };
}
