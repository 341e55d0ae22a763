import OpenAI from 'openai';
import type { Embedder } from '@switchyard/core';
import { endpointHeaders, endpointSecrets, type ProviderEndpointConfig } from '../endpoint';
import { redactSecrets } from '../shared/errors';
import { EndpointTransport } from '../shared/transport';
import { PLACEHOLDER_API_KEY } from '../openai-compatible/openai-compatible-provider';

/**
 * Question embeddings for the semantic cache from an OpenAI-compatible `/v1/embeddings` endpoint
 * (OpenAI, vLLM, Ollama, LM Studio, ...) through the official SDK: one client, keep-alive, no SDK
 * retries (a slow or failed embedding is a cache miss, not something to wait for).
 */
export class OpenAiEmbedder implements Embedder {
  private readonly client: OpenAI;
  private readonly secrets: string[];

  constructor(
    endpoint: ProviderEndpointConfig,
    private readonly model: string,
    transport: EndpointTransport = new EndpointTransport(),
  ) {
    if (endpoint.kind === 'anthropic') throw new Error(`provider endpoint "${endpoint.name}" is anthropic, which has no embeddings endpoint`);
    this.secrets = endpointSecrets(endpoint);
    const apiKey = endpoint.apiKey || (endpoint.kind === 'openai-compatible' ? PLACEHOLDER_API_KEY : undefined);
    if (!apiKey) throw new Error(`provider endpoint "${endpoint.name}" (${endpoint.kind}) needs an apiKey for embeddings`);
    this.client = new OpenAI({ apiKey, baseURL: endpoint.baseUrl, maxRetries: 0, fetch: transport.fetch, defaultHeaders: endpointHeaders(endpoint, apiKey) });
  }

  async embed(text: string, signal: AbortSignal): Promise<Float32Array> {
    try {
      const res = await this.client.embeddings.create({ model: this.model, input: text, encoding_format: 'float' }, { signal });
      const vector = res.data[0]?.embedding;
      if (!Array.isArray(vector) || vector.length === 0) throw new Error('the embeddings endpoint returned no vector');
      return Float32Array.from(vector);
    } catch (err) {
      // Never let a key reach a log line through an SDK error message.
      throw new Error(`embedding with ${this.model} failed: ${redactSecrets((err as Error).message, this.secrets)}`);
    }
  }
}
