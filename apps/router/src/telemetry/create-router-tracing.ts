import { RouterTracing } from '@switchyard/telemetry';
import type { ProviderEndpointConfig } from '@switchyard/providers';

/**
 * The router's tracing subscriber: content recording only with SWITCHYARD_TRACE_CONTENT=true, and
 * every configured API key masked wherever free text is recorded.
 */
export function createRouterTracing(endpoints: readonly ProviderEndpointConfig[], env: NodeJS.ProcessEnv = process.env): RouterTracing {
  return new RouterTracing({
    recordContent: env.SWITCHYARD_TRACE_CONTENT?.trim().toLowerCase() === 'true',
    secrets: endpoints.flatMap((e) => (e.apiKey ? [e.apiKey] : [])),
  });
}
