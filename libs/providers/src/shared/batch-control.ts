import { ProviderError, type ArmConfig, type BatchLimits, type BatchRequest, type ProviderCall } from '@switchyard/core';

/** Bound on one batch API call (an upload of a large input file included). */
export const BATCH_CALL_TIMEOUT_MS = 120_000;

/**
 * The ProviderCall that carries one batch API call (submit, poll, cancel) through runProviderCall,
 * so its failures are classified exactly as a live call's.
 */
export function batchControlCall(arm: ArmConfig, label: string, signal: AbortSignal | undefined): ProviderCall {
  return {
    arm: { ...arm, timeouts: { connectMs: arm.timeouts.connectMs, totalMs: BATCH_CALL_TIMEOUT_MS } },
    requestId: label,
    attempt: 0,
    messages: [],
    signal: signal ?? new AbortController().signal,
  };
}

/** A batched request as the live call it stands for (to build its body and read its reply the live way). */
export function asLiveCall(arm: ArmConfig, request: BatchRequest | undefined, requestId: string): ProviderCall {
  return { messages: [], ...request, requestId, arm, attempt: 0, signal: new AbortController().signal };
}

/** Refuses a batch the API would refuse for its size, before anything is uploaded. */
export function checkBatchSize(provider: string, limits: BatchLimits, count: number): void {
  if (count === 0 || count > limits.maxRequests) {
    throw new ProviderError({ kind: 'bad_request', message: `${provider}: a batch holds 1 to ${limits.maxRequests} requests, got ${count}` });
  }
}
