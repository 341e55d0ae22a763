import type { ProviderError } from '../errors/provider-error';
import type { ProviderCall, ProviderReply } from '../ports/provider';
import type { ArmConfig } from '../routing/arm';

/**
 * One request as it goes into a provider batch: the live call without what only a live attempt
 * has (signal, attempt number). `requestId` is the batch's `custom_id`, so results come back by it.
 */
export type BatchRequest = Omit<ProviderCall, 'arm' | 'signal' | 'attempt'>;

/** What became of one request of an ended batch; anything but `succeeded` is answered live instead. */
export type BatchItemResult =
  | { requestId: string; outcome: 'succeeded'; reply: ProviderReply }
  /** The provider answered this request with an error, classified as the live path would. */
  | { requestId: string; outcome: 'errored'; error: ProviderError }
  | { requestId: string; outcome: 'expired' | 'canceled' };

/**
 * How a batch ended: `completed` (each request has its own outcome), `failed` (the batch never ran:
 * OpenAI only), `expired` (the completion window passed; requests done before it keep their results),
 * `cancelled`.
 */
export type BatchEnd = 'completed' | 'failed' | 'expired' | 'cancelled';

export type BatchPoll =
  | { state: 'in_progress' | 'canceling' }
  /**
   * `results` holds every request the provider reported on; a request of the batch that is not in
   * it (a failed batch has none) has no answer and must be answered live.
   */
  | { state: 'ended'; end: BatchEnd; results: BatchItemResult[] };

export interface BatchPollOptions {
  signal?: AbortSignal;
  requestOf?: (requestId: string) => BatchRequest | undefined;
}

/** Documented bounds of a provider's batch API. */
export interface BatchLimits {
  maxRequests: number;
  /** The completion window: a batch not ended by then expires. */
  windowMs: number;
}

/**
 * A provider's batch API (OpenAI Files + Batch, Anthropic Message Batches) as core sees it: no SDK,
 * no wire format. Failures of the calls themselves throw a classified `ProviderError`.
 */
export interface BatchPort {
  readonly limits: BatchLimits;
  /** Submits the requests for `arm`'s model as one batch; resolves to the provider's batch id. */
  submit(arm: ArmConfig, requests: readonly BatchRequest[], signal?: AbortSignal): Promise<string>;
  /**
   * The batch's state; its per-request results once it has ended. `requestOf` gives back the
   * request as submitted where the caller still has it: a reply is then read exactly as the live
   * path reads it (e.g. Anthropic's JSON mode unwraps its forced tool).
   */
  poll(arm: ArmConfig, batchId: string, options?: BatchPollOptions): Promise<BatchPoll>;
  /** Asks the provider to stop the batch; requests not yet done end `canceled`. */
  cancel(arm: ArmConfig, batchId: string, signal?: AbortSignal): Promise<void>;
}
