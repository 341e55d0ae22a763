import { expectedNetValue, type ValueParams, type ValueTerms } from '../value/net-value';
import type { CompletionTimeModel } from './completion-time';

/** One request's case for the batch path, beside what the selector expects of the live arm. */
export interface BatchCase {
  /** The live arm's terms for this request (the selector's expectation). */
  live: ValueTerms;
  /** Batch price as a fraction of the live price (both OpenAI and Anthropic: 0.5). */
  batchPriceFactor: number;
  completion: CompletionTimeModel;
  /** Ms from now until the request's deadline. */
  deadlineMs: number;
  /** Ms a live answer needs at worst (e.g. the live arm's P95 with its fallbacks): the rescue starts this long before the deadline. */
  liveBudgetMs: number;
  /**
   * Whether a rescued request's batch work is still paid for: OpenAI charges work completed before
   * a batch is cancelled or expires. 1 (default) assumes the worst: paid in full.
   */
  rescuePaysBatch?: number;
}

export interface BatchDecision {
  choice: 'batch' | 'live';
  /** Expected net value of each path (USD), for the decision trace. */
  liveValue: number;
  batchValue: number;
  /** P(the batch ends before the rescue cutoff). */
  pInTime: number;
  /** Ms from now after which the request is answered live instead. */
  cutoffMs: number;
  why: 'batch_better' | 'live_better' | 'deadline_too_close';
}

/**
 * Expected net value of sending one request to the provider's batch API rather than live, with the
 * one value function (`expectedNetValue`):
 *
 *   batch = P · (V·p − c·f − λ·E[T | T ≤ cutoff]) + (1 − P) · (V·p − c − c·f·r − λ·(cutoff + L))
 *
 * with p, c, L the live arm's P(good), expected cost and latency; f the batch price factor; r the
 * share of a rescued batch still paid; cutoff = deadline − live budget and P = P(T ≤ cutoff) from
 * the completion-time model. The second term is the rescue: at the cutoff the request is answered
 * live, so a batch that is late costs time and money but never the deadline.
 */
export function decideBatch(c: BatchCase, value: ValueParams): BatchDecision {
  const liveValue = expectedNetValue(c.live, value);
  const cutoffMs = c.deadlineMs - c.liveBudgetMs;
  if (!(cutoffMs > 0)) return { choice: 'live', liveValue, batchValue: -Infinity, pInTime: 0, cutoffMs, why: 'deadline_too_close' };
  const pInTime = c.completion.cdf(cutoffMs);
  const batchCost = c.live.expectedCostUsd * c.batchPriceFactor;
  const inTime = pInTime > 0
    ? expectedNetValue({ pGood: c.live.pGood, expectedCostUsd: batchCost, expectedLatencyMs: c.completion.partialMean(cutoffMs) / pInTime }, value)
    : 0;
  const rescued = expectedNetValue(
    { pGood: c.live.pGood, expectedCostUsd: c.live.expectedCostUsd + batchCost * (c.rescuePaysBatch ?? 1), expectedLatencyMs: cutoffMs + c.live.expectedLatencyMs },
    value,
  );
  const batchValue = pInTime * inTime + (1 - pInTime) * rescued;
  const better = batchValue > liveValue;
  return { choice: better ? 'batch' : 'live', liveValue, batchValue, pInTime, cutoffMs, why: better ? 'batch_better' : 'live_better' };
}
