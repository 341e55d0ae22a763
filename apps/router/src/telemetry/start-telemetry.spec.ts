import { context, propagation, trace } from '@opentelemetry/api';
import { startTelemetry } from './start-telemetry';

describe('startTelemetry', () => {
  afterEach(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('does nothing with OTEL_SDK_DISABLED=true: spans stay no-ops', async () => {
    const telemetry = startTelemetry({ OTEL_SDK_DISABLED: 'true' });
    expect(telemetry.enabled).toBe(false);
    expect(trace.getTracer('t').startSpan('s').isRecording()).toBe(false);
    await telemetry.shutdown();
  });

  it('registers a recording tracer provider and the W3C propagator, and shuts down within its timeout', async () => {
    const telemetry = startTelemetry({});
    expect(telemetry.enabled).toBe(true);
    const span = trace.getTracer('t').startSpan('s');
    expect(span.isRecording()).toBe(true);
    expect(propagation.fields()).toEqual(expect.arrayContaining(['traceparent', 'tracestate']));
    const started = Date.now();
    await telemetry.shutdown(2_000);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
