/**
 * Starts the OpenTelemetry SDK. main.ts imports this before anything else, so the global tracer
 * provider and propagators exist before NestJS, kafkajs or the router load. Everything else in the
 * repo talks to `@opentelemetry/api` only.
 *
 * Configured by the standard variables: OTEL_SDK_DISABLED=true turns it off;
 * OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (default http://localhost:4318),
 * OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_BSP_SCHEDULE_DELAY,
 * OTEL_PROPAGATORS (default W3C tracecontext + baggage), OTEL_TRACES_EXPORTER, ... apply as usual.
 */
import { startTelemetry } from './start-telemetry';

/** Started on import: main.ts imports this module first. */
export const telemetry = startTelemetry();
