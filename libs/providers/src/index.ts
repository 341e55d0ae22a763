export * from './endpoint';
export * from './registry';
export { OpenAiChatProvider, mapFinishReason } from './openai/openai-chat-provider';
export type { MaxTokensParam, OpenAiChatProviderOptions } from './openai/openai-chat-provider';
export { OpenAiProvider } from './openai/openai-provider';
export { normalizeOpenAiError } from './openai/openai-errors';
export { OpenAiCompatibleProvider, PLACEHOLDER_API_KEY } from './openai-compatible/openai-compatible-provider';
export { AnthropicProvider, ANTHROPIC_DEFAULT_MAX_TOKENS_CAP, mapStopReason } from './anthropic/anthropic-provider';
export { normalizeAnthropicError } from './anthropic/anthropic-errors';
export {
  callerAbortToProviderError,
  httpFailureToProviderError,
  isDeadlineReason,
  kindForStatus,
  parseRetryAfterMs,
  redactSecrets,
  transportFailureToProviderError,
} from './shared/errors';
export type { HttpFailure, TransportFailure } from './shared/errors';
export { EndpointTransport, resolveUndiciRuntime } from './shared/transport';
export type { EndpointTransportOptions, UndiciRuntime } from './shared/transport';
export { OpenAiEmbedder } from './openai/openai-embedder';
export { OpenAiBatchClient } from './openai/openai-batch-client';
export { AnthropicBatchClient } from './anthropic/anthropic-batch-client';
export { BATCH_CALL_TIMEOUT_MS } from './shared/batch-control';
