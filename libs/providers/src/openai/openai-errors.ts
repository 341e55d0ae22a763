import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { NormalizedSdkError } from '../shared/call-runner';
import { headerValue, isAbortError, parseGoDurationMs } from '../shared/errors';
import type { CallTransportState } from '../shared/transport';

/**
 * OpenAI (and OpenAI-compatible) SDK errors → normalized form. Provider-specific rules:
 * - 400 `context_length_exceeded` (or "maximum context length" text, as vLLM says it) → context_overflow;
 * - 400 `content_policy_violation` / `content_filter` (Azure) / `invalid_prompt` flagged → content_policy;
 * - 429 `insufficient_quota` stays `rate_limited` (a 429; it lets the router fall back to another
 *   arm and cool this one down instead of failing the request as `auth` would);
 * - 429 without `retry-after`: the reset of the exhausted `x-ratelimit-*` bucket as the wait hint.
 * Status rules and message hygiene are in shared/errors.ts.
 */
export function normalizeOpenAiError(error: unknown, _state: CallTransportState): NormalizedSdkError {
  // Order matters: the abort/timeout classes extend APIConnectionError, which extends APIError.
  if (error instanceof APIUserAbortError) return { type: 'abort' };
  if (error instanceof APIConnectionTimeoutError) return { type: 'timeout' };
  if (error instanceof APIConnectionError) return { type: 'connection' };
  if (error instanceof APIError && typeof error.status === 'number') {
    const body = (error.error ?? undefined) as { message?: unknown } | undefined;
    const code = typeof error.code === 'string' ? error.code : undefined;
    const type = typeof error.type === 'string' ? error.type : undefined;
    const message = typeof body?.message === 'string' ? body.message : undefined;
    return {
      type: 'http',
      failure: {
        status: error.status,
        headers: error.headers,
        code,
        type,
        message,
        kindOverride: openAiKindOverride(error.status, code, message),
        fallbackRetryAfterMs: error.status === 429 ? rateLimitResetMs(error.headers) : undefined,
      },
    };
  }
  if (isAbortError(error)) return { type: 'abort' };
  return { type: 'unknown' };
}

/** OpenAI's own error codes that decide the kind before the status table (also for batch result lines). */
export function openAiKindOverride(status: number, code: string | undefined, message: string | undefined): 'context_overflow' | 'content_policy' | undefined {
  if (status === 429 || status >= 500) return undefined;
  if (code === 'context_length_exceeded') return 'context_overflow';
  if (code === 'content_policy_violation' || code === 'content_filter') return 'content_policy';
  if (code === 'invalid_prompt' && /polic|flagged/i.test(message ?? '')) return 'content_policy';
  return undefined;
}

/** Reset time of whichever OpenAI bucket (requests/tokens) is exhausted. */
function rateLimitResetMs(headers: Headers | undefined): number | undefined {
  const resets: number[] = [];
  for (const bucket of ['requests', 'tokens']) {
    const remaining = headerValue(headers, `x-ratelimit-remaining-${bucket}`);
    const reset = parseGoDurationMs(headerValue(headers, `x-ratelimit-reset-${bucket}`));
    if (reset !== undefined && remaining !== undefined && Number(remaining) <= 0) resets.push(reset);
  }
  return resets.length ? Math.max(...resets) : undefined;
}
