import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { FinishReason, Provider, ProviderCall, ProviderError, ProviderReply, type TextListener } from '@switchyard/core';
import { endpointHeaders, endpointSecrets, type ProviderEndpointConfig } from '../endpoint';
import { runProviderCall } from '../shared/call-runner';
import { malformedReplyError } from '../shared/errors';
import { requestHeaders } from '../shared/headers';
import { EndpointTransport } from '../shared/transport';
import { normalizeAnthropicError } from './anthropic-errors';
import { jsonAnswer, jsonModeFor, unwrapStreamedJson, type JsonMode } from './anthropic-json-mode';
import { anthropicSampling } from './anthropic-sampling';
import { fromAnthropicToolUse, toAnthropicMessages, toAnthropicToolChoice, toAnthropicTools } from './anthropic-tools';

/** Anthropic requires `max_tokens`; without one from the request we ask for at most this. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS_CAP = 1024;

const CLIENT_DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Anthropic Messages API through `@anthropic-ai/sdk`: one SDK client per endpoint,
 * `maxRetries: 0`, one HTTP request per call. System messages go to the `system` parameter.
 */
export class AnthropicProvider implements Provider {
  readonly name: string;
  protected readonly client: Anthropic;
  protected readonly transport: EndpointTransport;
  protected readonly secrets: string[];

  constructor(endpoint: ProviderEndpointConfig, options: { transport?: EndpointTransport } = {}) {
    if (!endpoint.apiKey) {
      throw new Error(`provider endpoint "${endpoint.name}" (anthropic) needs an apiKey`);
    }
    this.name = endpoint.name;
    this.secrets = endpointSecrets(endpoint);
    this.transport = options.transport ?? new EndpointTransport();
    this.client = new Anthropic({
      apiKey: endpoint.apiKey,
      baseURL: endpoint.baseUrl,
      maxRetries: 0,
      timeout: CLIENT_DEFAULT_TIMEOUT_MS,
      fetch: this.transport.fetch,
      // @anthropic-ai/sdk 1.x sends the key only as `Authorization: Bearer`; the configured scheme
      // (by default `x-api-key`, as Anthropic documents it) replaces that.
      defaultHeaders: endpointHeaders(endpoint, endpoint.apiKey),
      // The telemetry lib makes the `chat <model>` client span; SDK spans would duplicate it.
      openTelemetry: false,
    });
  }

  async call(call: ProviderCall): Promise<ProviderReply> {
    const { params, dropped, json } = this.request(call);
    const message = await runProviderCall<Message>({
      buffered: true,
      endpoint: this.name,
      transport: this.transport,
      call,
      secrets: this.secrets,
      normalize: normalizeAnthropicError,
      invoke: (signal) =>
        this.client.messages.create(params, {
          signal,
          timeout: call.arm.timeouts.totalMs,
          maxRetries: 0,
          headers: requestHeaders(call),
        }),
    });
    return withDropped(this.toReply(message, call, json), dropped);
  }

  /**
   * The same call streamed (`stream: true`, the SDK's message events): each text delta goes to
   * `onText`; input tokens come with message_start, output tokens and the stop reason with
   * message_delta. The arm's total timeout bounds the whole stream.
   */
  async stream(call: ProviderCall, onText: TextListener): Promise<ProviderReply> {
    const request = this.request(call);
    const { json } = request;
    const params = { ...request.params, stream: true as const };
    return runProviderCall<ProviderReply>({
      streamed: true,
      endpoint: this.name,
      transport: this.transport,
      call,
      secrets: this.secrets,
      normalize: normalizeAnthropicError,
      invoke: async (signal) => {
        const stream = await this.client.messages.create(params, { signal, timeout: call.arm.timeouts.totalMs, maxRetries: 0, headers: requestHeaders(call) });
        let text = '';
        let model = '';
        let stop: string | null = null;
        let ended = false;
        const usage = { inputTokens: 0, outputTokens: 0 };
        for await (const event of stream) {
          switch (event.type) {
            case 'message_start': {
              const u = event.message.usage;
              model = event.message.model;
              usage.inputTokens = (u?.input_tokens ?? 0) + (u?.cache_creation_input_tokens ?? 0) + (u?.cache_read_input_tokens ?? 0);
              break;
            }
            case 'content_block_delta':
              if (event.delta.type === 'text_delta' && event.delta.text && !json) {
                text += event.delta.text;
                onText(event.delta.text);
              } else if (event.delta.type === 'input_json_delta' && json && event.delta.partial_json) {
                // JSON mode: the forced tool's input is the answer, streamed as it is written
                // (a wrapped schema's input is unwrapped whole at the end).
                text += event.delta.partial_json;
                if (!json.wrapped) onText(event.delta.partial_json);
              }
              break;
            case 'message_delta':
              stop = event.delta.stop_reason ?? stop;
              usage.outputTokens = event.usage?.output_tokens ?? usage.outputTokens;
              break;
            case 'message_stop':
              ended = true;
              break;
            case 'content_block_start':
            case 'content_block_stop':
              // Text arrives in the deltas; tool-use and thinking blocks are not forwarded.
              break;
          }
        }
        // The SDK ends an aborted stream's iteration quietly: an abort is a failure, not an end.
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
        if (!ended) throw malformedReplyError(this.name, 'stream ended without message_stop');
        if (stop === 'refusal') throw new ProviderError({ kind: 'content_policy', message: `${this.name}: the model refused the request (stop_reason=refusal)` });
        if (json?.wrapped) {
          text = unwrapStreamedJson(text, json);
          onText(text);
        }
        const finishReason = json && stop === 'tool_use' ? 'stop' : mapStopReason(stop);
        return withDropped({ text, finishReason, usage, model: model || call.arm.model }, request.dropped);
      },
    });
  }

  /**
   * The Messages request of a call, with what could not be sent as asked. Sampling parameters
   * (temperature, top_p) are not in @anthropic-ai/sdk 1.x's types but the API takes them; they
   * pass through the SDK's body as they are.
   */
  protected request(call: ProviderCall): { params: MessageCreateParamsNonStreaming; dropped: string[]; json?: JsonMode } {
    const system = call.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    const { dropped, ...sampling } = anthropicSampling(call);
    const params: MessageCreateParamsNonStreaming & Omit<typeof sampling, 'stop_sequences'> = {
      model: call.arm.model,
      max_tokens: call.maxTokens ?? Math.min(call.arm.maxOutputTokens, ANTHROPIC_DEFAULT_MAX_TOKENS_CAP),
      messages: toAnthropicMessages(call.messages),
      ...sampling,
    };
    if (system) params.system = system;
    if (call.tools?.length) params.tools = toAnthropicTools(call.tools);
    if (call.toolChoice !== undefined) params.tool_choice = toAnthropicToolChoice(call.toolChoice);
    let json = jsonModeFor(call);
    if (json && call.tools?.length) {
      // Forcing the JSON tool would take the caller's tools away: they win, the answer checks judge the JSON.
      dropped.push('response_format (JSON mode is forced tool use, and the request offers its own tools)');
      json = undefined;
    }
    if (json) {
      params.tools = [json.tool];
      params.tool_choice = json.choice;
    }
    return { params, dropped, ...(json ? { json } : {}) };
  }

  protected toReply(message: Message, call: ProviderCall, json?: JsonMode): ProviderReply {
    if (!message || !Array.isArray(message.content)) throw malformedReplyError(this.name, 'no content');
    const stop = message.stop_reason as string | null;
    if (stop === 'refusal') {
      throw new ProviderError({
        kind: 'content_policy',
        message: `${this.name}: the model refused the request (stop_reason=refusal)`,
      });
    }
    const text = message.content
      .filter((block): block is Extract<typeof block, { type: 'text' }> => block.type === 'text')
      .map((block) => block.text)
      .join('');
    const usage = message.usage;
    const answer = json ? jsonAnswer(message.content, json) : undefined;
    const toolCalls = json ? undefined : fromAnthropicToolUse(message.content);
    return {
      text: answer ?? text,
      ...(toolCalls ? { toolCalls } : {}),
      finishReason: toolCalls ? 'tool_calls' : json && stop === 'tool_use' ? 'stop' : mapStopReason(stop),
      usage: {
        // Cache writes and reads are input tokens too (billed differently; pricing has one rate).
        inputTokens:
          (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) + (usage?.cache_read_input_tokens ?? 0),
        outputTokens: usage?.output_tokens ?? 0,
      },
      model: message.model || call.arm.model,
    };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/**
 * tool_use → tool_calls; end_turn / stop_sequence (and pause_turn, which ends a turn) → stop;
 * max_tokens and model_context_window_exceeded (output cut by the window) → length.
 * `refusal` is thrown as content_policy before this is reached.
 */
export function mapStopReason(stop: string | null | undefined): FinishReason {
  if (stop === 'tool_use') return 'tool_calls';
  return stop === 'max_tokens' || stop === 'model_context_window_exceeded' ? 'length' : 'stop';
}

function withDropped(reply: ProviderReply, dropped: string[]): ProviderReply {
  return dropped.length ? { ...reply, droppedParams: dropped } : reply;
}
