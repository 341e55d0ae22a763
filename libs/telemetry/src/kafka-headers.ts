import { propagation, ROOT_CONTEXT, type Context, type TextMapGetter } from '@opentelemetry/api';

/** Kafka header names are case-sensitive; producers disagree on `traceparent` vs `Traceparent`. */
const caseInsensitive: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    if (key in carrier) return carrier[key];
    const wanted = key.toLowerCase();
    const found = Object.keys(carrier).find((name) => name.toLowerCase() === wanted);
    return found === undefined ? undefined : carrier[found];
  },
};

/**
 * The producer's trace context (W3C `traceparent`/`tracestate` with the default propagators) from
 * a record's headers. Done by hand because the kafkajs auto-instrumentation does not see the
 * `import()` NestJS loads kafkajs through.
 */
export function extractTraceContext(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(ROOT_CONTEXT, headers, caseInsensitive);
}

/** Headers that carry `context` on to the next record (empty when there is nothing to carry). */
export function traceHeaders(context: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context, carrier);
  return carrier;
}
