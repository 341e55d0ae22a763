import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { NormalizedSdkError } from '../shared/call-runner';
import { isAbortError } from '../shared/errors';
import type { CallTransportState } from '../shared/transport';

/**
 * Anthropic SDK errors → normalized form. Anthropic error bodies are
 * `{"type":"error","error":{"type":"<error type>","message":"…"}}`. Provider-specific rules:
 * - `overloaded_error` (HTTP 529) and `api_error` (500) → server_error (529 is ≥ 500 anyway);
 * - `rate_limit_error` (429) → rate_limited, wait from `retry-after`;
 * - `authentication_error` (401), `permission_error` (403) → auth; `billing_error` (402) → auth;
 * - `invalid_request_error` "prompt is too long: 210000 tokens > 200000 maximum" → context_overflow;
 * - `request_too_large` (413) → bad_request; other `invalid_request_error`/`not_found_error` → bad_request.
 * Status rules and message hygiene are in shared/errors.ts.
 */
export function normalizeAnthropicError(error: unknown, _state: CallTransportState): NormalizedSdkError {
  // Order matters: the abort/timeout classes extend APIConnectionError, which extends APIError.
  if (error instanceof APIUserAbortError) return { type: 'abort' };
  if (error instanceof APIConnectionTimeoutError) return { type: 'timeout' };
  if (error instanceof APIConnectionError) return { type: 'connection' };
  if (error instanceof APIError && typeof error.status === 'number') {
    const type = typeof error.type === 'string' ? error.type : undefined;
    const message = typeof error.apiMessage === 'string' ? error.apiMessage : undefined;
    return {
      type: 'http',
      failure: {
        status: error.status,
        headers: error.headers,
        type,
        code: typeof error.errorCode === 'string' ? error.errorCode : undefined,
        message,
        kindOverride: type === 'overloaded_error' ? 'server_error' : undefined,
      },
    };
  }
  if (error instanceof Error && /Could not resolve authentication method/.test(error.message)) {
    return { type: 'auth_config', message: 'no Anthropic credentials configured' };
  }
  if (isAbortError(error)) return { type: 'abort' };
  return { type: 'unknown' };
}
