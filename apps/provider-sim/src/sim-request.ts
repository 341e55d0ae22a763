// API-neutral view of a provider call and of the errors the simulator can produce; each wire module
// (openai-wire.ts, anthropic-wire.ts) translates to and from its provider's exact shapes.

export interface SimRequest {
  model: string;
  /** All prompt text (system + messages), used for token counting and deterministic output. */
  prompt: string;
  inputTokens: number;
  /** Requested output cap, or null if the request set none (OpenAI only). */
  maxTokens: number | null;
  stop: string[];
  /** Sampling parameters as sent (echoed in the call log). */
  temperature?: number;
  topP?: number;
  /** Anthropic `tool_choice: { type: "tool", name }`: the answer must be a call of this tool (JSON mode by forced tool use). */
  forcedTool?: string;
  /** JSON was asked for (OpenAI `response_format` json_object / json_schema). */
  json?: boolean;
  /** The answer is wanted as server-sent events (`stream: true`). */
  stream?: boolean;
  /** OpenAI `stream_options.include_usage`: a last chunk carries the usage. */
  includeUsage?: boolean;
  /** Names of the functions offered (`tools`); the answer is then a call of the first. */
  tools?: string[];
  /** The last turn is a tool result: the answer is text again. */
  toolTurn?: boolean;
}

export type SimError =
  | { kind: 'invalid_json' }
  | { kind: 'bad_request'; message: string; param: string | null; code: string | null }
  | { kind: 'model_not_found'; model: string }
  /** `missing`: no key where the API documents it (strict mode). */
  | { kind: 'auth'; reason?: 'missing' | 'wrong' }
  | { kind: 'rate_limit'; model: string; retryAfterS: number }
  | { kind: 'server'; status: number }
  | { kind: 'context_overflow'; inputTokens: number; maxTokens: number | null; contextWindow: number }
  | { kind: 'max_tokens_too_large'; model: string; maxTokens: number; limit: number }
  | { kind: 'content_policy' }
  | { kind: 'route_not_found'; method: string; path: string };

export type FinishKind = 'stop' | 'length' | 'content_filter' | 'stop_sequence' | 'tool_calls';

/** A function call in an answer (`arguments` JSON text). */
export interface SimToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Completion {
  id: string;
  model: string;
  text: string;
  finish: FinishKind;
  stopSequence: string | null;
  inputTokens: number;
  outputTokens: number;
  toolCall?: SimToolCall;
}
