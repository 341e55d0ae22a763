import { toFile } from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { Batch } from 'openai/resources/batches';
import {
  isProviderError,
  type ArmConfig,
  type BatchItemResult,
  type BatchLimits,
  type BatchPoll,
  type BatchPollOptions,
  type BatchPort,
  type BatchRequest,
} from '@switchyard/core';
import type { ProviderEndpointConfig } from '../endpoint';
import { asLiveCall, batchControlCall, checkBatchSize } from '../shared/batch-control';
import { runProviderCall } from '../shared/call-runner';
import { httpFailureToProviderError, malformedReplyError } from '../shared/errors';
import type { EndpointTransport } from '../shared/transport';
import { normalizeOpenAiError, openAiKindOverride } from './openai-errors';
import { OpenAiProvider } from './openai-provider';

const ENDPOINT = '/v1/chat/completions';

/** One line of a batch output or error file. */
interface ResultLine {
  custom_id?: unknown;
  response?: { status_code?: number; body?: unknown } | null;
  error?: { code?: string; message?: string } | null;
}

/**
 * OpenAI's Batch API through the official SDK: the requests as a JSONL file (`files.create`,
 * purpose `batch`, one `{ custom_id, method, url, body }` line each, the body exactly as the live
 * call's), `batches.create` on /v1/chat/completions with the 24 h window, `batches.retrieve` and
 * the output / error files by `files.content`, `batches.cancel`. Replies and errors are read as
 * the live provider reads them.
 */
export class OpenAiBatchClient extends OpenAiProvider implements BatchPort {
  readonly limits: BatchLimits = { maxRequests: 50_000, windowMs: 24 * 3_600_000 };

  constructor(endpoint: ProviderEndpointConfig, options: { transport?: EndpointTransport } = {}) {
    super(endpoint, options);
  }

  async submit(arm: ArmConfig, requests: readonly BatchRequest[], signal?: AbortSignal): Promise<string> {
    checkBatchSize(this.name, this.limits, requests.length);
    const lines = requests.map((r) => JSON.stringify({ custom_id: r.requestId, method: 'POST', url: ENDPOINT, body: this.body(asLiveCall(arm, r, r.requestId)) }));
    const batch = await this.control(arm, 'batch-submit', signal, async (s) => {
      const file = await this.client.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'switchyard-batch.jsonl'), purpose: 'batch' }, { signal: s });
      return this.client.batches.create({ input_file_id: file.id, endpoint: ENDPOINT, completion_window: '24h' }, { signal: s });
    });
    return batch.id;
  }

  async poll(arm: ArmConfig, batchId: string, options: BatchPollOptions = {}): Promise<BatchPoll> {
    const batch = await this.control(arm, 'batch-poll', options.signal, (s) => this.client.batches.retrieve(batchId, { signal: s }));
    const end = endOf(batch.status);
    if (end === undefined) return { state: batch.status === 'cancelling' ? 'canceling' : 'in_progress' };
    const results: BatchItemResult[] = [];
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const text = await this.control(arm, 'batch-results', options.signal, async (s) => (await this.client.files.content(fileId, { signal: s })).text());
      for (const raw of text.split('\n')) {
        if (raw.trim()) results.push(this.itemResult(arm, this.parseLine(raw), options));
      }
    }
    return { state: 'ended', end, results };
  }

  async cancel(arm: ArmConfig, batchId: string, signal?: AbortSignal): Promise<void> {
    await this.control(arm, 'batch-cancel', signal, (s) => this.client.batches.cancel(batchId, { signal: s }));
  }

  private control<T>(arm: ArmConfig, label: string, signal: AbortSignal | undefined, invoke: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return runProviderCall<T>({ buffered: true, endpoint: this.name, transport: this.transport, call: batchControlCall(arm, label, signal), secrets: this.secrets, normalize: normalizeOpenAiError, invoke });
  }

  private parseLine(raw: string): ResultLine {
    try {
      return JSON.parse(raw) as ResultLine;
    } catch (error) {
      throw malformedReplyError(this.name, 'batch result file line is not JSON', error);
    }
  }

  private itemResult(arm: ArmConfig, line: ResultLine, options: BatchPollOptions): BatchItemResult {
    const requestId = String(line.custom_id);
    if (line.error) return { requestId, outcome: line.error.code === 'batch_cancelled' ? 'canceled' : 'expired' };
    const status = line.response?.status_code ?? 0;
    const body = line.response?.body;
    if (status !== 200) {
      const e = (body as { error?: { message?: string; type?: string; code?: string | null } } | undefined)?.error;
      const code = e?.code ?? undefined;
      const error = httpFailureToProviderError({
        endpoint: this.name, status, headers: undefined, code, type: e?.type, message: e?.message,
        kindOverride: openAiKindOverride(status, code, e?.message), secrets: this.secrets,
      });
      return { requestId, outcome: 'errored', error };
    }
    try {
      return { requestId, outcome: 'succeeded', reply: this.toReply(body as ChatCompletion, asLiveCall(arm, options.requestOf?.(requestId), requestId)) };
    } catch (error) {
      return { requestId, outcome: 'errored', error: isProviderError(error) ? error : malformedReplyError(this.name, 'unreadable batch answer', error) };
    }
  }
}

function endOf(status: Batch['status']): 'completed' | 'failed' | 'expired' | 'cancelled' | undefined {
  switch (status) {
    case 'completed':
    case 'failed':
    case 'expired':
    case 'cancelled':
      return status;
    case 'validating':
    case 'in_progress':
    case 'finalizing':
    case 'cancelling':
      return undefined;
  }
}
