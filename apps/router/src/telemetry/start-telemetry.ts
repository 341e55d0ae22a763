import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/** Resource `service.name` unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise. */
export const SERVICE_NAME = 'switchyard-router';

export interface Telemetry {
  readonly enabled: boolean;
  /** Exports what is still buffered and stops the SDK; never rejects, gives up after `timeoutMs`. */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK for the router (tracing only; see otel.ts for the variables).
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): Telemetry {
  if (telemetryDisabled(env)) return { enabled: false, shutdown: () => Promise.resolve() };
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME, [ATTR_SERVICE_VERSION]: packageVersion() }),
    // http/protobuf unless the environment picks an exporter or protocol itself.
    traceExporter: env.OTEL_TRACES_EXPORTER || env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL ? undefined : new OTLPTraceExporter(),
    // Tracing only: metrics are prom-client's (/metrics), and no log records are exported.
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return {
    enabled: true,
    shutdown: async (timeoutMs = 5_000) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()));
      try {
        await Promise.race([sdk.shutdown(), timeout]);
      } catch (err) {
        process.stderr.write(`switchyard-router: telemetry shutdown failed: ${(err as Error).message}\n`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** OTEL_SDK_DISABLED as the router reads it (true, 1 or yes). */
export function telemetryDisabled(env: NodeJS.ProcessEnv): boolean {
  return isTrue(env.OTEL_SDK_DISABLED);
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['true', '1', 'yes'].includes(value.trim().toLowerCase());
}

/** The repo's package.json version, found from this file in src/ (tests) or dist/ (builds). */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'switchyard' && pkg.version) return pkg.version;
    } catch {
      // not here; keep walking up
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
