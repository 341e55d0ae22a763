import type { ResponseV1 } from '@switchyard/contracts';

/** OpenAI's error body: what the official SDKs parse into `APIError` (status, message, type, param, code). */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Longest error message the front door sends. */
const MAX_MESSAGE_CHARS = 2_000;

/**
 * A failure of an HTTP front-door request, in OpenAI's shape. Built where the failure is
 * classified (validation, auth, the router's result) and written once by the edge.
 */
export class OpenAiError extends Error {
  override readonly name = 'OpenAiError';
  /** Answer, then close the connection: the rest of the request (a body past the limit) is never read. */
  closeConnection = false;

  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Seconds, sent as `Retry-After` (429, 503). */
    readonly retryAfterS?: number,
  ) {
    // The last guard against echoing a huge input (messages quote it through quoteInput first).
    super(message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message);
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static badRequest(message: string, param: string | null = null, code: string | null = 'invalid_value'): OpenAiError {
    return new OpenAiError(400, message, 'invalid_request_error', code, param);
  }
}

/**
 * HTTP status and OpenAI error type per classified failure of the router. The request's own
 * faults are 4xx; a provider that failed is the gateway's upstream failing (502), a deadline or a
 * provider timeout is 504, nothing healthy to send it to is 503, a spent budget or a rate limit
 * that outlasted the retries is 429.
 */
const BY_KIND: Readonly<Record<string, { status: number; type: string }>> = {
  bad_request: { status: 400, type: 'invalid_request_error' },
  limits: { status: 400, type: 'invalid_request_error' },
  context_overflow: { status: 400, type: 'invalid_request_error' },
  content_policy: { status: 400, type: 'invalid_request_error' },
  no_eligible_arm: { status: 400, type: 'invalid_request_error' },
  budget_exceeded: { status: 429, type: 'insufficient_quota' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  circuit_open: { status: 503, type: 'server_error' },
  quality_unavailable: { status: 503, type: 'server_error' },
  server_error: { status: 502, type: 'server_error' },
  network: { status: 502, type: 'server_error' },
  auth: { status: 502, type: 'server_error' },
  partial: { status: 502, type: 'server_error' },
  check_failed: { status: 502, type: 'server_error' },
  undeliverable: { status: 502, type: 'server_error' },
  timeout_connect: { status: 504, type: 'server_error' },
  timeout_read: { status: 504, type: 'server_error' },
  deadline_exceeded: { status: 504, type: 'server_error' },
};

export interface RetryHints {
  /** Seconds until the tenant's spent budget window ends (budget_exceeded). */
  budgetRetryAfterS?: number;
}

/** The router's failed response v1 as an OpenAI error; `code` is Switchyard's error kind. */
export function routeFailureToOpenAiError(response: ResponseV1, hints: RetryHints = {}): OpenAiError {
  const error = response.error ?? { kind: 'server_error' as const, message: 'the request failed without a classified error', retryable: true };
  const { status, type } = BY_KIND[error.kind] ?? { status: 502, type: 'server_error' };
  let retryAfterS: number | undefined;
  if (error.kind === 'rate_limited') {
    // The router's own reading (the cooldown left) when it gave one, else the providers' Retry-After.
    const advised = error.retryAfterMs ?? Math.max(0, ...response.attempts.map((a) => a.retryAfterMs ?? 0));
    retryAfterS = Math.max(1, Math.ceil(advised / 1000));
  } else if (error.kind === 'budget_exceeded') {
    retryAfterS = Math.max(1, Math.ceil(hints.budgetRetryAfterS ?? 60));
  } else if (status === 503) {
    retryAfterS = 1;
  }
  const param = error.kind === 'context_overflow' ? 'messages' : null;
  return new OpenAiError(status, error.message, type, error.kind, param, retryAfterS);
}
