import { RouterTracing } from '@switchyard/telemetry';
import { endpointSecrets, type ProviderEndpointConfig } from '@switchyard/providers';
import { telemetryDisabled } from './start-telemetry';
import type { RouterEnv } from '../config/env';

/**
 * The router's tracing subscriber: content recording only with SWITCHYARD_TRACE_CONTENT=true, and
 * every configured API key and secret header value masked wherever free text is recorded; no per-event span work when
 * OTEL_SDK_DISABLED=true.
 */
export function createRouterTracing(
  endpoints: readonly ProviderEndpointConfig[],
  // The switch comes parsed from the router's env schema; OTEL_SDK_DISABLED is the SDK's own variable (otel.ts).
  settings: Pick<RouterEnv, 'SWITCHYARD_TRACE_CONTENT'>,
  env: NodeJS.ProcessEnv = process.env,
): RouterTracing {
  return new RouterTracing({
    recordContent: settings.SWITCHYARD_TRACE_CONTENT,
    // With the SDK off no span records: skip building spans per event (a producer's trace context
    // still flows to the response headers).
    recording: !telemetryDisabled(env),
    secrets: endpoints.flatMap(endpointSecrets),
  });
}
