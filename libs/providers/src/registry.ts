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
 * Construction fails fast on duplicate names or a bad endpoint (missing key/baseUrl). A reloaded
 * routing table goes through `update`: an unchanged endpoint keeps its client and pool.
 */
export class SdkProviderRegistry implements ProviderRegistry {
  private providers = new Map<string, { settings: string; provider: ClosableProvider }>();

  constructor(
    endpoints: readonly ProviderEndpointConfig[],
    private readonly factory: (endpoint: ProviderEndpointConfig) => ClosableProvider = createProvider,
  ) {
    this.providers = this.build(endpoints);
  }

  providerFor(arm: ArmConfig): Provider {
    const entry = this.providers.get(arm.provider);
    if (!entry) {
      const known = [...this.providers.keys()].join(', ') || 'none';
      throw new Error(
        `arm "${arm.id}" uses provider "${arm.provider}", which is not configured (configured providers: ${known})`,
      );
    }
    return entry.provider;
  }

  get names(): string[] {
    return [...this.providers.keys()];
  }

  /**
   * The endpoints of a reloaded routing table. A new or changed endpoint (kind, baseUrl, key or
   * headers) gets a new client; the clients it replaces, and those of removed endpoints, are
   * closed after `graceMs`, so calls already running on them finish. Throws, changing nothing,
   * on a duplicate name or a bad endpoint. Returns the endpoints whose client changed.
   */
  update(endpoints: readonly ProviderEndpointConfig[], graceMs: number): string[] {
    const previous = this.providers;
    const next = this.build(endpoints, previous);
    const retired = [...previous].filter(([name, entry]) => next.get(name) !== entry);
    this.providers = next;
    if (retired.length) setTimeout(() => void Promise.allSettled(retired.map(([, e]) => e.provider.close())), graceMs).unref();
    const changed = new Set(retired.map(([name]) => name));
    for (const [name, entry] of next) if (previous.get(name) !== entry) changed.add(name);
    return [...changed];
  }

  /** Closes every endpoint's connection pools (application shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.providers.values()].map((e) => e.provider.close()));
  }

  private build(endpoints: readonly ProviderEndpointConfig[], current = new Map<string, { settings: string; provider: ClosableProvider }>()) {
    const next = new Map<string, { settings: string; provider: ClosableProvider }>();
    for (const endpoint of endpoints) {
      if (next.has(endpoint.name)) {
        throw new Error(`provider endpoint "${endpoint.name}" is configured twice`);
      }
      const settings = JSON.stringify([endpoint.kind, endpoint.baseUrl, endpoint.apiKey, endpoint.auth, endpoint.headers, endpoint.secretHeaders]);
      const old = current.get(endpoint.name);
      next.set(endpoint.name, old?.settings === settings ? old : { settings, provider: this.factory(endpoint) });
    }
    return next;
  }
}
