import type { ProviderEndpointConfig } from '../endpoint';
import type { EndpointTransport } from '../shared/transport';
import { OpenAiChatProvider } from './openai-chat-provider';

/**
 * api.openai.com. The output cap goes in `max_completion_tokens`: OpenAI deprecated `max_tokens`
 * for Chat Completions and reasoning models (o-series, gpt-5) reject it.
 */
export class OpenAiProvider extends OpenAiChatProvider {
  constructor(endpoint: ProviderEndpointConfig, options: { transport?: EndpointTransport } = {}) {
    super(endpoint, { maxTokensParam: 'max_completion_tokens', transport: options.transport });
  }
}
