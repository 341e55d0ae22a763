import { RouterTracing } from '@switchyard/telemetry';
import type { ProviderEndpointConfig } from '@switchyard/providers';
import type { RouterEnv } from '../config/env';
import { telemetryDisabled } from './start-telemetry';

/**
 * The router's tracing subscriber: content recording only with SWITCHYARD_TRACE_CONTENT=true (from
 * the parsed environment), and every configured API key masked wherever free text is recorded; no
 * per-event span work when OTEL_SDK_DISABLED=true (the SDK's own variable, read as otel.ts reads it).
 */
export function createRouterTracing(
  endpoints: readonly ProviderEndpointConfig[],
  settings: Pick<RouterEnv, 'SWITCHYARD_TRACE_CONTENT'>,
  otelEnv: NodeJS.ProcessEnv = process.env,
): RouterTracing {
  return new RouterTracing({
    recordContent: settings.SWITCHYARD_TRACE_CONTENT,
    // With the SDK off no span records: skip building spans per event (a producer's trace context
    // still flows to the response headers).
    recording: !telemetryDisabled(otelEnv),
    secrets: endpoints.flatMap((e) => (e.apiKey ? [e.apiKey] : [])),
  });
}
