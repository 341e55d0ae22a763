import type { ResponseV1 } from '@switchyard/contracts';

/** `chatcmpl-<request id>`: the completion's id says which request it answers. */
export function completionId(requestId: string): string {
  return `chatcmpl-${requestId}`;
}

function usageOf(response: ResponseV1) {
  const { inputTokens, outputTokens } = response.usage;
  return { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
}

/** Switchyard's own account of the answer, beside OpenAI's fields (the SDKs keep unknown fields). */
function switchyardOf(response: ResponseV1) {
  return {
    request_id: response.id,
    tenant: response.tenant,
    served_by: response.servedBy,
    attempts: response.attempts,
    cost_usd: response.usage.costUsd,
    latency_ms: response.latencyMs,
    trace_id: response.traceId,
    ...(response.degraded ? { degraded: true } : {}),
    ...(response.servedFrom === 'cache' ? { served_from: 'cache', cache: response.cache } : {}),
    ...(response.reduced ? { reduced: response.reduced } : {}),
  };
}

/** A successful response v1 as a `chat.completion` object. */
export function toChatCompletion(response: ResponseV1, requestedModel: string, createdS: number) {
  const toolCalls = openAiToolCalls(response);
  return {
    id: completionId(response.id),
    object: 'chat.completion' as const,
    created: createdS,
    model: response.servedBy?.model ?? response.cache?.model ?? requestedModel,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          // OpenAI's shape: no content (null) when the turn is only tool calls.
          content: toolCalls && !response.output?.text ? null : (response.output?.text ?? ''),
          refusal: null,
          ...(toolCalls ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: response.output?.finishReason ?? 'stop',
      },
    ],
    usage: usageOf(response),
    switchyard: switchyardOf(response),
  };
}

/**
 * `chat.completion.chunk` objects of one streamed answer: the first delta carries the role, each
 * text piece is one delta, the last chunk carries the finish reason, and with
 * `stream_options.include_usage` a final chunk with no choices carries the usage.
 */
export class ChunkBuilder {
  /** The JSON of a text chunk up to the delta's text: the same for every piece of one stream. */
  private readonly textPrefix: string;

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly createdS: number,
  ) {
    this.textPrefix = JSON.stringify(this.chunk([{ index: 0, delta: { content: '' }, logprobs: null, finish_reason: null }])).replace(/"content":""\}.*$/s, '"content":');
  }

  /**
   * One text piece as a ready SSE event. Built from the stream's fixed prefix: a stream sends one
   * of these per token, and serialising the whole chunk object each time was a measurable share
   * of the front door's CPU (bench:frontdoor).
   */
  textEvent(delta: string): string {
    return `data: ${this.textPrefix}${JSON.stringify(delta)}},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  private chunk(choices: unknown[], extra: Record<string, unknown> = {}) {
    return { id: this.id, object: 'chat.completion.chunk', created: this.createdS, model: this.model, choices, ...extra };
  }

  role() {
    return this.chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
  }

  text(delta: string) {
    return this.chunk([{ index: 0, delta: { content: delta }, logprobs: null, finish_reason: null }]);
  }

  /** The tool calls of an answer, whole, in one delta (they are not streamed piecewise). */
  toolCalls(response: ResponseV1) {
    const calls = openAiToolCalls(response);
    return calls ? this.chunk([{ index: 0, delta: { tool_calls: calls.map((c, index) => ({ index, ...c })) }, logprobs: null, finish_reason: null }]) : undefined;
  }

  finish(response: ResponseV1) {
    return { ...this.chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: response.output?.finishReason ?? 'stop' }]), model: response.servedBy?.model ?? this.model };
  }

  usage(response: ResponseV1) {
    return { ...this.chunk([], { usage: usageOf(response), switchyard: switchyardOf(response) }), model: response.servedBy?.model ?? this.model };
  }
}

function openAiToolCalls(response: ResponseV1) {
  const calls = response.output?.toolCalls;
  return calls?.length ? calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) : undefined;
}

/** One server-sent event carrying JSON (`data: …` and a blank line), as OpenAI streams. */
export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';
