import type { ResponseV1 } from '@switchyard/contracts';
import { routeFailureToOpenAiError } from './openai-error';

function failed(kind: string, attempts: ResponseV1['attempts'] = []): ResponseV1 {
  return { schemaVersion: 1, id: 'r', tenant: 't', status: 'failed', attempts, usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, latencyMs: 1, error: { kind, message: `failed: ${kind}`, retryable: false } };
}

describe('routeFailureToOpenAiError', () => {
  it.each([
    ['bad_request', 400, 'invalid_request_error'],
    ['context_overflow', 400, 'invalid_request_error'],
    ['no_eligible_arm', 400, 'invalid_request_error'],
    ['budget_exceeded', 429, 'insufficient_quota'],
    ['rate_limited', 429, 'rate_limit_error'],
    ['circuit_open', 503, 'server_error'],
    ['server_error', 502, 'server_error'],
    ['network', 502, 'server_error'],
    ['timeout_read', 504, 'server_error'],
    ['deadline_exceeded', 504, 'server_error'],
  ])('%s → %i %s with the kind as code', (kind, status, type) => {
    const error = routeFailureToOpenAiError(failed(kind));
    expect([error.status, error.type, error.code]).toEqual([status, type, kind]);
    expect(error.body()).toEqual({ error: { message: `failed: ${kind}`, type, param: kind === 'context_overflow' ? 'messages' : null, code: kind } });
  });

  it("takes Retry-After for a rate limit from the providers' advice, rounded up to seconds", () => {
    const attempts = [{ arm: 'a', outcome: 'rate_limited', latencyMs: 5, costUsd: 0, retryAfterMs: 2_300 }];
    expect(routeFailureToOpenAiError(failed('rate_limited', attempts)).retryAfterS).toBe(3);
    expect(routeFailureToOpenAiError(failed('rate_limited')).retryAfterS).toBe(1);
  });

  it('takes Retry-After for a rate limit from the cooldown left the router reports, when it reports one', () => {
    const attempts = [{ arm: 'a', outcome: 'rate_limited', latencyMs: 5, costUsd: 0, retryAfterMs: 9_000 }];
    const response = failed('rate_limited', attempts);
    response.error = { ...response.error!, retryAfterMs: 1_200 };
    expect(routeFailureToOpenAiError(response)).toMatchObject({ status: 429, type: 'rate_limit_error', retryAfterS: 2 });
  });

  it('takes Retry-After for a spent budget from when its window ends', () => {
    expect(routeFailureToOpenAiError(failed('budget_exceeded'), { budgetRetryAfterS: 41.2 }).retryAfterS).toBe(42);
    expect(routeFailureToOpenAiError(failed('server_error')).retryAfterS).toBeUndefined();
  });
});
