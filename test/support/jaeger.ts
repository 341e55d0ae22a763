// Jaeger for the tracing e2e suite: JAEGER_URL (query API, e.g. http://127.0.0.1:16686) and
// JAEGER_OTLP_ENDPOINT (OTLP http, default http://127.0.0.1:4318) reuse a running instance;
// otherwise `bash infra/jaeger.sh start` runs one on test ports (JAEGER_TEST_PORT, default 24318 for
// OTLP http; 24317 OTLP gRPC, 26686 query HTTP, 26685 query gRPC) with run dir .infra/jaeger-test,
// stopped again by `stop()`. The first run on a clean machine builds Jaeger from source (minutes).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './env';

export interface JaegerInstance {
  /** Query HTTP API base, e.g. http://127.0.0.1:26686 */
  queryUrl: string;
  /** OTLP http base for OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:24318 */
  otlpEndpoint: string;
  stop(): void;
}

/** A span as Jaeger's /api/traces returns it (the fields the suites read). */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags: Array<{ key: string; type: string; value: unknown }>;
  logs: Array<{ timestamp: number; fields: Array<{ key: string; type: string; value: unknown }> }>;
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: Array<{ key: string; value: unknown }> }>;
}

export function startJaeger(): JaegerInstance {
  if (process.env.JAEGER_URL) {
    return { queryUrl: process.env.JAEGER_URL.replace(/\/$/, ''), otlpEndpoint: process.env.JAEGER_OTLP_ENDPOINT || 'http://127.0.0.1:4318', stop: () => undefined };
  }
  const otlpHttp = Number(process.env.JAEGER_TEST_PORT || 24318);
  const env = {
    ...process.env,
    JAEGER_OTLP_HTTP_PORT: String(otlpHttp),
    JAEGER_OTLP_GRPC_PORT: String(otlpHttp - 1),
    JAEGER_QUERY_PORT: String(otlpHttp + 2368),
    JAEGER_QUERY_GRPC_PORT: String(otlpHttp + 2367),
    JAEGER_RUN_DIR: join(REPO_ROOT, '.infra', 'jaeger-test'),
  };
  const jaegerSh = (command: 'start' | 'stop') =>
    execFileSync('bash', [join(REPO_ROOT, 'infra', 'jaeger.sh'), command], { cwd: REPO_ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  jaegerSh('start');
  return {
    queryUrl: `http://127.0.0.1:${env.JAEGER_QUERY_PORT}`,
    otlpEndpoint: `http://127.0.0.1:${otlpHttp}`,
    stop: () => jaegerSh('stop'),
  };
}

/** Polls /api/traces/<id> until `ready` holds for the trace (spans arrive in export batches). */
export async function waitForTrace(queryUrl: string, traceId: string, ready: (trace: JaegerTrace) => boolean, timeoutMs = 30_000): Promise<JaegerTrace> {
  const started = Date.now();
  let last: JaegerTrace | undefined;
  while (Date.now() - started < timeoutMs) {
    const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
    if (res.ok) {
      const body = (await res.json()) as { data: JaegerTrace[] | null };
      last = body.data?.[0];
      if (last && ready(last)) return last;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`trace ${traceId} not complete in Jaeger after ${timeoutMs} ms (have ${last?.spans.map((s) => s.operationName).join(', ') ?? 'nothing'})`);
}

export function tag(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}

export function parentId(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
}
