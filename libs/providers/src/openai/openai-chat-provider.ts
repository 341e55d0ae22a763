import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { FinishReason, Provider, ProviderCall, ProviderError, ProviderReply, type TextListener } from '@switchyard/core';
import { endpointHeaders, endpointSecrets, type ProviderEndpointConfig } from '../endpoint';
import { runProviderCall } from '../shared/call-runner';
import { malformedReplyError } from '../shared/errors';
import { requestHeaders } from '../shared/headers';
import { EndpointTransport } from '../shared/transport';
import { normalizeOpenAiError } from './openai-errors';
import { fromOpenAiToolCalls, toOpenAiMessage, toOpenAiToolChoice, toOpenAiTools } from './openai-tools';

export type MaxTokensParam = 'max_tokens' | 'max_completion_tokens';

export interface OpenAiChatProviderOptions {
  /** Which request field carries the output cap (see the subclasses). */
  maxTokensParam: MaxTokensParam;
  /** API key sent when the endpoint has none (the SDK insists on a non-empty string). */
  placeholderApiKey?: string;
  /** Injected for tests; one per endpoint otherwise. */
  transport?: EndpointTransport;
}

/** Client-level timeout; every call overrides it with `arm.timeouts.totalMs`. */
const CLIENT_DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Chat Completions through the official `openai` SDK: the one base for OpenAI and every
 * OpenAI-compatible server (vLLM, Ollama, LM Studio, gateways), as Portkey does it.
 * One SDK client per endpoint, `maxRetries: 0` (the router owns retries), one HTTP request per call.
 */
export class OpenAiChatProvider implements Provider {
  readonly name: string;
  protected readonly client: OpenAI;
  protected readonly transport: EndpointTransport;
  private readonly maxTokensParam: MaxTokensParam;
  protected readonly secrets: string[];

  constructor(endpoint: ProviderEndpointConfig, options: OpenAiChatProviderOptions) {
    this.name = endpoint.name;
    this.maxTokensParam = options.maxTokensParam;
    this.transport = options.transport ?? new EndpointTransport();
    this.secrets = endpointSecrets(endpoint);
    const apiKey = endpoint.apiKey || options.placeholderApiKey;
    if (!apiKey) {
      // Checked here so the key-less mistake shows at start-up, not as a 401 on the first request.
      throw new Error(`provider endpoint "${endpoint.name}" (${endpoint.kind}) needs an apiKey`);
    }
    this.client = new OpenAI({
      apiKey,
      baseURL: endpoint.baseUrl,
      maxRetries: 0,
      timeout: CLIENT_DEFAULT_TIMEOUT_MS,
      fetch: this.transport.fetch,
      // The configured scheme replaces the SDK's own `Authorization: Bearer` where it differs.
      defaultHeaders: endpointHeaders(endpoint, apiKey),
    });
  }

  async call(call: ProviderCall): Promise<ProviderReply> {
    const body = this.body(call);
    const completion = await runProviderCall<ChatCompletion>({
      buffered: true,
      endpoint: this.name,
      transport: this.transport,
      call,
      secrets: this.secrets,
      normalize: normalizeOpenAiError,
      invoke: (signal) =>
        this.client.chat.completions.create(body, {
          signal,
          timeout: call.arm.timeouts.totalMs,
          maxRetries: 0,
          headers: requestHeaders(call),
        }),
    });
    return this.toReply(completion, call);
  }

  /**
   * The same call with `stream: true` (and the usage in the last chunk): each content delta goes
   * to `onText` as it arrives; the arm's total timeout bounds the whole stream.
   */
  async stream(call: ProviderCall, onText: TextListener): Promise<ProviderReply> {
    const body = { ...this.body(call), stream: true as const, stream_options: { include_usage: true } };
    return runProviderCall<ProviderReply>({
      streamed: true,
      endpoint: this.name,
      transport: this.transport,
      call,
      secrets: this.secrets,
      normalize: normalizeOpenAiError,
      invoke: async (signal) => {
        const stream = await this.client.chat.completions.create(body, { signal, timeout: call.arm.timeouts.totalMs, maxRetries: 0, headers: requestHeaders(call) });
        let text = '';
        let finish: string | null = null;
        let model = '';
        let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
        for await (const chunk of stream) {
          model ||= chunk.model;
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices?.[0];
          const delta = choice?.delta?.content;
          if (delta) {
            text += delta;
            onText(delta);
          }
          if (choice?.delta?.refusal) throw refusalError(this.name, 'the model refused the request');
          if (choice?.finish_reason) finish = choice.finish_reason;
        }
        // The SDK ends an aborted stream's iteration quietly: an abort is a failure, not an end.
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
        if (finish === null) throw malformedReplyError(this.name, 'stream ended without a finish_reason');
        if (finish === 'content_filter') throw refusalError(this.name, "output stopped by the provider's content filter (finish_reason=content_filter)");
        return {
          text,
          finishReason: mapFinishReason(finish),
          usage: { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 },
          model: model || call.arm.model,
        };
      },
    });
  }

  /** The Chat Completions request body of a call (without `stream`). */
  protected body(call: ProviderCall): ChatCompletionCreateParamsNonStreaming {
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: call.arm.model,
      messages: call.messages.map(toOpenAiMessage),
    };
    if (call.tools?.length) body.tools = toOpenAiTools(call.tools);
    if (call.toolChoice !== undefined) body.tool_choice = toOpenAiToolChoice(call.toolChoice);
    if (call.maxTokens !== undefined) body[this.maxTokensParam] = call.maxTokens;
    if (call.temperature !== undefined) body.temperature = call.temperature;
    if (call.topP !== undefined) body.top_p = call.topP;
    if (call.stop !== undefined && call.stop.length > 0) body.stop = call.stop;
    const format = call.responseFormat;
    if (format && format.type !== 'text') {
      body.response_format =
        format.type === 'json_object' ? { type: 'json_object' } : { type: 'json_schema', json_schema: { name: format.name ?? 'answer', schema: { ...format.schema } } };
    }
    return body;
  }

  protected toReply(completion: ChatCompletion, call: ProviderCall): ProviderReply {
    const choice = completion?.choices?.[0];
    if (!choice || typeof choice !== 'object') throw malformedReplyError(this.name, 'no choices');
    const finish = choice.finish_reason as string | null;
    const refusal = choice.message?.refusal;
    if (finish === 'content_filter' || (typeof refusal === 'string' && refusal.length > 0)) {
      throw new ProviderError({
        kind: 'content_policy',
        message:
          finish === 'content_filter'
            ? `${this.name}: output stopped by the provider's content filter (finish_reason=content_filter)`
            : `${this.name}: the model refused the request`,
      });
    }
    const usage = completion.usage;
    const toolCalls = fromOpenAiToolCalls(choice.message);
    return {
      text: choice.message?.content ?? '',
      finishReason: toolCalls ? 'tool_calls' : mapFinishReason(finish),
      // Some OpenAI-compatible servers omit usage; 0 means "not reported".
      usage: { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 },
      model: completion.model || call.arm.model,
      ...(toolCalls ? { toolCalls } : {}),
    };
  }

  /** Closes this endpoint's connection pools. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}

function refusalError(endpoint: string, what: string): ProviderError {
  return new ProviderError({ kind: 'content_policy', message: `${endpoint}: ${what}` });
}

/** `length` is returned (the router decides about continuation); `tool_calls` when the turn ended in calls. */
export function mapFinishReason(finish: string | null | undefined): FinishReason {
  return finish === 'length' ? 'length' : finish === 'tool_calls' || finish === 'function_call' ? 'tool_calls' : 'stop';
}
