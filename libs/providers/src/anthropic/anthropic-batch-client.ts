import type { Message } from '@anthropic-ai/sdk/resources/messages';
import type { MessageBatch, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import {
  isProviderError,
  ProviderError,
  type ArmConfig,
  type BatchItemResult,
  type BatchLimits,
  type BatchPoll,
  type BatchPollOptions,
  type BatchPort,
  type BatchRequest,
  type ProviderReply,
} from '@switchyard/core';
import type { ProviderEndpointConfig } from '../endpoint';
import { asLiveCall, batchControlCall, checkBatchSize } from '../shared/batch-control';
import { runProviderCall } from '../shared/call-runner';
import { httpFailureToProviderError, malformedReplyError } from '../shared/errors';
import type { EndpointTransport } from '../shared/transport';
import { normalizeAnthropicError } from './anthropic-errors';
import { AnthropicProvider } from './anthropic-provider';

/** Anthropic's rule for `custom_id`; request ids outside it cannot be batched as they are. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** The HTTP status each Anthropic error type is documented with (errored results carry only the type). */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/**
 * Anthropic Message Batches through the official SDK: `messages.batches.create` with one
 * `{ custom_id, params }` per request (params exactly as the live call's), `retrieve`, the JSONL
 * `results` stream, `cancel`. Replies and errors are read as the live provider reads them.
 */
export class AnthropicBatchClient extends AnthropicProvider implements BatchPort {
  readonly limits: BatchLimits = { maxRequests: 100_000, windowMs: 24 * 3_600_000 };

  constructor(endpoint: ProviderEndpointConfig, options: { transport?: EndpointTransport } = {}) {
    super(endpoint, options);
  }

  async submit(arm: ArmConfig, requests: readonly BatchRequest[], signal?: AbortSignal): Promise<string> {
    checkBatchSize(this.name, this.limits, requests.length);
    const bad = requests.find((r) => !CUSTOM_ID.test(r.requestId));
    if (bad) throw new ProviderError({ kind: 'bad_request', message: `${this.name}: request id "${bad.requestId}" is not a valid custom_id (${CUSTOM_ID.source})` });
    const batchRequests = requests.map((r) => ({ custom_id: r.requestId, params: this.request(asLiveCall(arm, r, r.requestId)).params }));
    const batch = await this.control(arm, 'batch-submit', signal, (s) => this.client.messages.batches.create({ requests: batchRequests }, { signal: s }));
    return batch.id;
  }

  async poll(arm: ArmConfig, batchId: string, options: BatchPollOptions = {}): Promise<BatchPoll> {
    const batch = await this.control(arm, 'batch-poll', options.signal, (s) => this.client.messages.batches.retrieve(batchId, {}, { signal: s }));
    if (batch.processing_status !== 'ended') return { state: batch.processing_status === 'canceling' ? 'canceling' : 'in_progress' };
    const lines = await this.control(arm, 'batch-results', options.signal, async (s) => {
      const out: MessageBatchIndividualResponse[] = [];
      for await (const line of await this.client.messages.batches.results(batchId, {}, { signal: s })) out.push(line);
      return out;
    });
    return { state: 'ended', end: endOf(batch), results: lines.map((line) => this.itemResult(arm, line, options)) };
  }

  async cancel(arm: ArmConfig, batchId: string, signal?: AbortSignal): Promise<void> {
    await this.control(arm, 'batch-cancel', signal, (s) => this.client.messages.batches.cancel(batchId, {}, { signal: s }));
  }

  private control<T>(arm: ArmConfig, label: string, signal: AbortSignal | undefined, invoke: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return runProviderCall<T>({ buffered: true, endpoint: this.name, transport: this.transport, call: batchControlCall(arm, label, signal), secrets: this.secrets, normalize: normalizeAnthropicError, invoke });
  }

  private itemResult(arm: ArmConfig, line: MessageBatchIndividualResponse, options: BatchPollOptions): BatchItemResult {
    const requestId = line.custom_id;
    const result = line.result;
    switch (result.type) {
      case 'succeeded':
        try {
          return { requestId, outcome: 'succeeded', reply: this.readReply(arm, requestId, result.message, options) };
        } catch (error) {
          return { requestId, outcome: 'errored', error: isProviderError(error) ? error : malformedReplyError(this.name, 'unreadable batch answer', error) };
        }
      case 'errored': {
        const { type, message } = result.error?.error ?? {};
        const status = (type && STATUS_OF_TYPE[type]) || 500;
        const error = httpFailureToProviderError({
          endpoint: this.name, status, headers: undefined, type, message,
          kindOverride: type === 'overloaded_error' ? 'server_error' : undefined, secrets: this.secrets,
        });
        return { requestId, outcome: 'errored', error };
      }
      case 'canceled':
      case 'expired':
        return { requestId, outcome: result.type };
    }
  }

  /** As the live call reads it: with the request at hand, its JSON mode and dropped parameters too. */
  private readReply(arm: ArmConfig, requestId: string, message: Message, options: BatchPollOptions): ProviderReply {
    const call = asLiveCall(arm, options.requestOf?.(requestId), requestId);
    const { dropped, json } = this.request(call);
    const reply = this.toReply(message, call, json);
    return dropped.length ? { ...reply, droppedParams: dropped } : reply;
  }
}

/**
 * Anthropic has no failed batch. One cancelled before it ended shows `cancel_initiated_at`; requests
 * expire only when the batch reaches the end of its window, so any expired request means it did.
 */
function endOf(batch: MessageBatch): 'completed' | 'cancelled' | 'expired' {
  if (batch.cancel_initiated_at) return 'cancelled';
  return batch.request_counts.expired > 0 ? 'expired' : 'completed';
}
