// Loaded into the router by bench/frontdoor/legs.ts (node -r): times the front door's legs of one
// streamed request from Node's and undici's diagnostics channels, and prints a summary line on
// SIGTERM. One stream at a time is assumed (the legs runner sends them one after another).
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Marks {
  arrived: number;
  providerRequest?: number;
  providerHeadersSent?: number;
  providerAnswered?: number;
  firstWrite?: number;
}

let current: Marks | undefined;
const done: Marks[] = [];

diagnosticsChannel.subscribe('http.server.request.start', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  if (!request.url?.startsWith('/v1/chat')) return;
  const marks: Marks = { arrived: performance.now() };
  current = marks;
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  response.write = ((...args: unknown[]) => {
    if (marks.firstWrite === undefined) {
      marks.firstWrite = performance.now();
      done.push(marks);
    }
    return write(...args);
  }) as ServerResponse['write'];
});
diagnosticsChannel.subscribe('undici:request:create', () => {
  if (current && current.providerRequest === undefined) current.providerRequest = performance.now();
});
diagnosticsChannel.subscribe('undici:client:sendHeaders', () => {
  if (current && current.providerHeadersSent === undefined) current.providerHeadersSent = performance.now();
});
diagnosticsChannel.subscribe('undici:request:headers', () => {
  if (current && current.providerAnswered === undefined) current.providerAnswered = performance.now();
});

function p50(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)].toFixed(3) : 'n/a';
}

process.on('SIGTERM', () => {
  const skip = Number(process.env.LEGS_SKIP ?? 0);
  const rows = done.slice(skip).filter((m) => m.providerRequest !== undefined && m.providerHeadersSent !== undefined && m.providerAnswered !== undefined);
  process.stderr.write(
    `[legs] ${rows.length} streams, p50 ms: request arrived → provider request created ${p50(rows.map((m) => m.providerRequest! - m.arrived))}; ` +
      `→ on the socket ${p50(rows.map((m) => m.providerHeadersSent! - m.providerRequest!))}; ` +
      `provider answer (headers + first piece) → first write to the client ${p50(rows.map((m) => m.firstWrite! - m.providerAnswered!))}\n`,
  );
});
