import { ErrorKind, ProviderError, isProviderError } from '@switchyard/core';
import type { CallTransportState } from './transport';

/**
 * Classification helpers shared by every provider. Provider files (`openai-errors.ts`,
 * `anthropic-errors.ts`) turn their SDK's error into an `HttpFailure` or a `TransportFailure`;
 * everything status- and header-based lives here.
 *
 * Messages are safe to publish (responses, DLQ, spans): endpoint name, status, the provider's own
 * error type/code and message, with anything that looks like a credential redacted. Never headers.
 */

/** Header lookup that works for fetch `Headers`, plain objects and undefined. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined | null;

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Server-advised wait in ms: `retry-after-ms` (OpenAI/Azure, fractional ms) wins over
 * `retry-after` (delta-seconds, possibly fractional, or an HTTP date). Undefined when absent or
 * unparseable; never negative.
 */
export function parseRetryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const value = Number(ms.trim());
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const retryAfter = headerValue(headers, 'retry-after')?.trim();
  if (!retryAfter) return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Durations as OpenAI writes them in `x-ratelimit-reset-*`: `1s`, `6m0s`, `20ms`, `1h2m3.5s`.
 */
export function parseGoDurationMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    const n = Number(match[1]);
    const unit = match[2];
    total += unit === 'h' ? n * 3_600_000 : unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : n;
  }
  return Math.round(total);
}

const CONTEXT_OVERFLOW_PATTERNS = [
  /context[ _-]?length/i, // OpenAI code context_length_exceeded, "maximum context length"
  /context window/i,
  /prompt is too long/i, // Anthropic
  /exceeds? (the )?context limit/i, // Anthropic: "input length and `max_tokens` exceed context limit: …"
  /input is too long/i,
  /too many (input )?tokens/i,
  /exceeds? the (model'?s? )?(maximum|max) (context|input)/i,
];

const CONTENT_POLICY_PATTERNS = [
  /content[ _-]?(policy|filter|management)/i, // OpenAI content_policy_violation, Azure content_filter
  /usage polic(y|ies)/i, // "flagged as potentially violating our usage policy"
  /safety system/i,
  /responsible ?ai/i,
];

export function looksLikeContextOverflow(...texts: (string | null | undefined)[]): boolean {
  return texts.some((t) => !!t && CONTEXT_OVERFLOW_PATTERNS.some((p) => p.test(t)));
}

export function looksLikeContentPolicy(...texts: (string | null | undefined)[]): boolean {
  return texts.some((t) => !!t && CONTENT_POLICY_PATTERNS.some((p) => p.test(t)));
}

const MAX_MESSAGE_CHARS = 500;

/** Removes credentials from text that may be published. */
export function redactSecrets(text: string, secrets: (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(/\bsk-[A-Za-z0-9_*.-]{3,}/g, 'sk-[redacted]') // OpenAI / Anthropic keys, even masked ones
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
    .replace(/\b(api[_-]?key|x-api-key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, '$1$2[redacted]');
}

export function safeMessage(text: string, secrets: (string | undefined)[] = []): string {
  const clean = redactSecrets(text.replace(/\s+/g, ' ').trim(), secrets);
  return clean.length > MAX_MESSAGE_CHARS ? `${clean.slice(0, MAX_MESSAGE_CHARS)}…` : clean;
}

/**
 * The provider's own message from a raw error body, whatever its shape:
 * OpenAI `{error:{message}}`, Anthropic `{type:"error",error:{type,message}}`, vLLM/FastAPI
 * `{message}` / `{detail}`, Ollama `{error:"…"}`, or plain text.
 */
export function messageFromBody(body: string | undefined): { message?: string; type?: string; code?: string } {
  if (!body) return {};
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { message: body };
  }
  if (typeof json !== 'object' || json === null) return { message: body };
  const obj = json as Record<string, unknown>;
  const inner = obj['error'];
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  if (typeof inner === 'string') return { message: inner };
  if (typeof inner === 'object' && inner !== null) {
    const e = inner as Record<string, unknown>;
    return { message: str(e['message']), type: str(e['type']), code: str(e['code']) };
  }
  const detail = obj['detail'];
  return {
    message: str(obj['message']) ?? str(detail) ?? (detail !== undefined ? JSON.stringify(detail) : undefined),
    type: str(obj['type']),
    code: str(obj['code']),
  };
}

/** A non-2xx answer, normalised from either SDK's APIError. */
export interface HttpFailure {
  endpoint: string;
  status: number;
  headers: HeaderSource;
  /** Provider error code (OpenAI `code`) and type (OpenAI `type`, Anthropic `error.type`). */
  code?: string;
  type?: string;
  /** The provider's message (not the SDK's decorated one). */
  message?: string;
  /** Kind decided by provider-specific rules before the generic status table. */
  kindOverride?: ErrorKind;
  /** Extra wait hint when `retry-after` is absent (e.g. OpenAI `x-ratelimit-reset-*`). */
  fallbackRetryAfterMs?: number;
  secrets?: (string | undefined)[];
  cause?: unknown;
}

/** The generic status → kind table (docs/architecture.md "Error taxonomy"). */
export function kindForStatus(status: number, texts: (string | undefined)[]): ErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'auth'; // billing: the credentials cannot be used
  if (status === 408) return 'timeout_read'; // the provider gave up waiting (OpenAI/Anthropic send it)
  if (status === 409) return 'server_error'; // OpenAI lock timeout / conflict: transient
  if (status >= 500) return 'server_error'; // 500/502/503/504, Anthropic 529 overloaded, others
  if (looksLikeContextOverflow(...texts)) return 'context_overflow';
  if (looksLikeContentPolicy(...texts)) return 'content_policy';
  return 'bad_request'; // 400, 404, 413, 422 and any other 4xx
}

export function httpFailureToProviderError(failure: HttpFailure): ProviderError {
  const texts = [failure.code, failure.type, failure.message];
  const kind = failure.kindOverride ?? kindForStatus(failure.status, texts);
  const label = [failure.code, failure.type].filter((x, i, a) => !!x && a.indexOf(x) === i).join('/');
  const detail = failure.message ? safeMessage(failure.message, failure.secrets) : 'no error message';
  const message = `${failure.endpoint}: HTTP ${failure.status}${label ? ` ${safeMessage(label)}` : ''}: ${detail}`;
  let retryAfterMs: number | undefined;
  if (kind === 'rate_limited' || kind === 'server_error') {
    retryAfterMs = parseRetryAfterMs(failure.headers) ?? (kind === 'rate_limited' ? failure.fallbackRetryAfterMs : undefined);
  }
  return new ProviderError({ kind, message, status: failure.status, retryAfterMs, cause: failure.cause });
}

// ---------------------------------------------------------------------------------------------
// Transport failures: no HTTP status.

const CONNECT_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT', 'ECONNECTTIMEOUT']);
const READ_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Error codes along the cause chain (and inside AggregateErrors from happy-eyeballs connects). */
export function errorCodes(error: unknown, depth = 0): string[] {
  if (depth > 6 || typeof error !== 'object' || error === null) return [];
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const out: string[] = [];
  if (typeof e.code === 'string') out.push(e.code);
  if (Array.isArray(e.errors)) for (const inner of e.errors) out.push(...errorCodes(inner, depth + 1));
  if (e.cause !== undefined && e.cause !== error) out.push(...errorCodes(e.cause, depth + 1));
  return out;
}

/** Why the call's own timers aborted it. */
export type OwnAbort = 'total_timeout' | 'connect_timeout' | undefined;

export interface TransportFailure {
  endpoint: string;
  /** What the SDK said: its timeout fired, or the connection failed. */
  sdk: 'timeout' | 'connection';
  /** Raw fetch error, its cause chain and what the call saw on the wire. */
  state: CallTransportState;
  ownAbort: OwnAbort;
  connectMs: number;
  totalMs: number;
  cause?: unknown;
}

/**
 * - connect timeout: undici `UND_ERR_CONNECT_TIMEOUT` (Agent `connect.timeout` = connectMs), the
 *   OS `ETIMEDOUT`, our connect watchdog, or any timeout while the request never reached a connected
 *   socket → `timeout_connect`;
 * - any other timeout (SDK `timeout` = totalMs, our total timer, undici headers/body timeouts)
 *   → `timeout_read`;
 * - everything else without a status (ECONNREFUSED, ECONNRESET, "other side closed", DNS) → `network`.
 */
export function transportFailureToProviderError(failure: TransportFailure): ProviderError {
  const codes = errorCodes(failure.state.transportError);
  const code = codes.find((c) => c !== 'ABORT_ERR' && c !== '20') ?? codes[0];
  const connectTimeout =
    failure.ownAbort === 'connect_timeout' || codes.some((c) => CONNECT_TIMEOUT_CODES.has(c));
  const isTimeout =
    connectTimeout ||
    failure.ownAbort === 'total_timeout' ||
    failure.sdk === 'timeout' ||
    codes.some((c) => READ_TIMEOUT_CODES.has(c));

  if (isTimeout) {
    // "Never connected" needs evidence from undici's diagnostics channel (`created` proves the
    // channel works for this call); without it a timeout counts as a read timeout.
    const neverConnected = failure.state.created && !failure.state.connected;
    if (connectTimeout || neverConnected) {
      return new ProviderError({
        kind: 'timeout_connect',
        message: `${failure.endpoint}: no connection within ${failure.connectMs} ms${code ? ` (${code})` : ''}`,
        cause: failure.cause,
      });
    }
    return new ProviderError({
      kind: 'timeout_read',
      message: `${failure.endpoint}: no complete response within ${failure.totalMs} ms${code && READ_TIMEOUT_CODES.has(code) ? ` (${code})` : ''}`,
      cause: failure.cause,
    });
  }
  const reason = describeTransportError(failure.state.transportError);
  return new ProviderError({
    kind: 'network',
    message: `${failure.endpoint}: connection failed${reason ? `: ${reason}` : ''}`,
    cause: failure.cause,
  });
}

function describeTransportError(error: unknown): string | undefined {
  const codes = errorCodes(error);
  let innermost: unknown = error;
  for (let i = 0; i < 6; i++) {
    const next = (innermost as { cause?: unknown } | null)?.cause;
    if (typeof next !== 'object' || next === null) break;
    innermost = next;
  }
  const message = innermost instanceof Error ? innermost.message : undefined;
  const parts = [codes[0], message && message !== codes[0] ? message : undefined].filter(Boolean);
  return parts.length ? safeMessage(parts.join(' ')) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Caller aborts.

/**
 * The caller's signal aborted the call (deadline reached, hedge lost, shutdown). This is not a
 * provider failure, so it must not look like one (`timeout_read` would hurt the arm):
 * - the router aborted with a `ProviderError` as reason → that error, as is (the router already
 *   classified it);
 * - a reason that says deadline (`AbortSignal.timeout()`'s `TimeoutError`, an error named or coded
 *   like "deadline") → `deadline_exceeded`, "request deadline exceeded";
 * - anything else (hedge lost, shutdown, plain `abort()`) → also kind `deadline_exceeded`, because
 *   its traits are the right ones (not retryable, never counts against the arm), but with the
 *   distinct message "aborted by caller (<reason>)" and the reason as `cause`. The taxonomy has no
 *   `cancelled` kind; the router knows why it aborted and normally discards this outcome.
 */
export function callerAbortToProviderError(endpoint: string, reason: unknown): ProviderError {
  if (isProviderError(reason)) return reason;
  if (isDeadlineReason(reason)) {
    return new ProviderError({
      kind: 'deadline_exceeded',
      message: `${endpoint}: request deadline exceeded; call aborted`,
      cause: reason,
    });
  }
  return new ProviderError({
    kind: 'deadline_exceeded',
    message: `${endpoint}: aborted by caller (${describeReason(reason)})`,
    cause: reason,
  });
}

export function isDeadlineReason(reason: unknown): boolean {
  if (typeof reason === 'string') return /deadline/i.test(reason);
  if (typeof reason !== 'object' || reason === null) return false;
  const r = reason as { name?: unknown; code?: unknown; kind?: unknown; message?: unknown };
  if (r.name === 'TimeoutError') return true;
  return [r.name, r.code, r.kind, r.message].some((v) => typeof v === 'string' && /deadline/i.test(v));
}

function describeReason(reason: unknown): string {
  if (reason === undefined) return 'no reason';
  if (typeof reason === 'string') return safeMessage(reason);
  if (reason instanceof Error) {
    return safeMessage(reason.message && reason.message !== reason.name ? `${reason.name}: ${reason.message}` : reason.name);
  }
  return safeMessage(String(reason));
}

/** A 200 that cannot be used (no choices, unparseable): the provider misbehaved. */
export function malformedReplyError(endpoint: string, what: string, cause?: unknown): ProviderError {
  return new ProviderError({ kind: 'server_error', message: `${endpoint}: malformed reply: ${what}`, cause });
}

export function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { name?: unknown }).name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR')
  );
}
