import type { ProviderEndpointConfig } from '../endpoint';
import { OpenAiChatProvider } from '../openai/openai-chat-provider';
import type { EndpointTransport } from '../shared/transport';

/** Sent when a local server needs no key: the SDK refuses an empty one. */
export const PLACEHOLDER_API_KEY = 'not-needed';

/**
 * Local or self-hosted OpenAI-compatible servers (vLLM, Ollama, LM Studio, TGI's /v1) through the
 * same `openai` SDK code with `baseURL`. `apiKey` is optional. The output cap goes in `max_tokens`,
 * the field every compatible server understands.
 */
export class OpenAiCompatibleProvider extends OpenAiChatProvider {
  constructor(endpoint: ProviderEndpointConfig, options: { transport?: EndpointTransport } = {}) {
    if (!endpoint.baseUrl) {
      throw new Error(`provider endpoint "${endpoint.name}" (openai-compatible) needs a baseUrl`);
    }
    super(endpoint, {
      maxTokensParam: 'max_tokens',
      placeholderApiKey: PLACEHOLDER_API_KEY,
      transport: options.transport,
    });
  }
}
