import type { ArmConfig } from '../routing/arm';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** A function call the model asked for: `arguments` is the JSON text as the model wrote it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** An assistant turn that called tools. */
  toolCalls?: ToolCall[];
  /** A `tool` turn: the call it answers. */
  toolCallId?: string;
}

/** A function the model may call (OpenAI's function tool; `parameters` a JSON Schema). */
export interface ToolSpec {
  name: string;
  description?: string;
  parameters?: Readonly<Record<string, unknown>>;
}

/** What shape the answer must have (OpenAI's `response_format`): JSON, optionally conforming to a JSON Schema. */
export type ResponseFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name?: string; schema: Readonly<Record<string, unknown>> };

/** Whether and which tool the model must call. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** `tool_calls`: the turn ended with calls for the caller to run (the answer is in `toolCalls`). */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ProviderCall {
  arm: ArmConfig;
  /** Request id and attempt number, sent as `x-switchyard-request-id` / `x-switchyard-attempt`. */
  requestId: string;
  attempt: number;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** Nucleus sampling, 0–1. */
  topP?: number;
  stop?: string[];
  /** JSON answers (OpenAI `response_format`); providers without a JSON mode ignore it, the answer checks do not. */
  responseFormat?: ResponseFormat;
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  /** Aborts the HTTP call: deadline reached, hedge lost, or shutdown. */
  signal: AbortSignal;
}

export interface ProviderReply {
  text: string;
  finishReason: FinishReason;
  usage: TokenUsage;
  /** The model the provider says answered (may differ from the requested alias). */
  model: string;
  /** Calls the model asked for (finishReason `tool_calls`). */
  toolCalls?: ToolCall[];
  /**
   * Request parameters this provider could not take as given, each with what happened to it
   * (`top_p (Anthropic takes temperature or top_p, not both)`, `temperature 1.5 → 1`): the attempt's
   * trace shows them, so a caller can tell.
   */
  droppedParams?: string[];
}

/** Receives an answer's text piece by piece, in order, as the provider sends it. */
export type TextListener = (text: string) => void;

/**
 * One provider endpoint (OpenAI, Anthropic, OpenAI-compatible). Implementations throw only
 * `ProviderError`, already classified, and make exactly one HTTP attempt per call: retries are
 * the router's.
 */
export interface Provider {
  call(call: ProviderCall): Promise<ProviderReply>;
  /**
   * The same call with the answer streamed: `onText` gets each piece of text as it arrives and the
   * reply is the whole answer (its text the concatenation of the pieces). A failure after some
   * pieces throws a `ProviderError` like any other; the pieces already given stay given.
   * Optional: a provider without it is called whole when a request streams.
   */
  stream?(call: ProviderCall, onText: TextListener): Promise<ProviderReply>;
}

/** Finds the provider client for an arm (one client per configured provider). */
export interface ProviderRegistry {
  providerFor(arm: ArmConfig): Provider;
}
