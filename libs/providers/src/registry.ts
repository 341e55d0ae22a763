import type { ArmConfig, Provider, ProviderRegistry } from '@switchyard/core';
import { AnthropicProvider } from './anthropic/anthropic-provider';
import type { ProviderEndpointConfig } from './endpoint';
import { OpenAiCompatibleProvider } from './openai-compatible/openai-compatible-provider';
import { OpenAiProvider } from './openai/openai-provider';

export interface ClosableProvider extends Provider {
  close(): Promise<void>;
}

/** Builds the client for one endpoint config. */
export function createProvider(endpoint: ProviderEndpointConfig): ClosableProvider {
  switch (endpoint.kind) {
    case 'openai':
      return new OpenAiProvider(endpoint);
    case 'anthropic':
      return new AnthropicProvider(endpoint);
    case 'openai-compatible':
      return new OpenAiCompatibleProvider(endpoint);
    default:
      throw new Error(
        `provider endpoint "${(endpoint as ProviderEndpointConfig).name}": unknown kind "${String((endpoint as { kind?: unknown }).kind)}"`,
      );
  }
}

/**
 * One SDK client (and connection pool) per configured endpoint, chosen by `arm.provider`.
 * Construction fails fast on duplicate names or a bad endpoint (missing key/baseUrl).
 */
export class SdkProviderRegistry implements ProviderRegistry {
  private readonly providers = new Map<string, ClosableProvider>();

  constructor(endpoints: ProviderEndpointConfig[], factory: (endpoint: ProviderEndpointConfig) => ClosableProvider = createProvider) {
    for (const endpoint of endpoints) {
      if (this.providers.has(endpoint.name)) {
        throw new Error(`provider endpoint "${endpoint.name}" is configured twice`);
      }
      this.providers.set(endpoint.name, factory(endpoint));
    }
  }

  providerFor(arm: ArmConfig): Provider {
    const provider = this.providers.get(arm.provider);
    if (!provider) {
      const known = [...this.providers.keys()].join(', ') || 'none';
      throw new Error(
        `arm "${arm.id}" uses provider "${arm.provider}", which is not configured (configured providers: ${known})`,
      );
    }
    return provider;
  }

  get names(): string[] {
    return [...this.providers.keys()];
  }

  /** Closes every endpoint's connection pools (application shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.providers.values()].map((p) => p.close()));
  }
}
