import type { Caller, RequestV1, ResponseV1 } from '@switchyard/contracts';
import type { RouteRequest, RouteResult } from '@switchyard/core';
import { liveRouting } from '../batch/deadline';

export function toRouteRequest(request: RequestV1): RouteRequest {
  return {
    id: request.id,
    tenant: request.tenant,
    class: request.class,
    messages: request.messages,
    params: request.params,
    routing: liveRouting(request.routing, Date.now()),
  };
}

/** Response v1 (docs/architecture.md "Contracts and topics") from the router's result. Attempt costs are rounded to 1e-9 USD. */
export function toResponseV1(request: RequestV1, result: RouteResult, traceId?: string): ResponseV1 {
  return {
    schemaVersion: 1,
    id: request.id,
    tenant: request.tenant,
    class: request.class,
    status: result.status,
    output: result.output,
    servedBy: result.servedBy,
    // `cancelled`: aborted by the router itself (a hedge that lost the race), not a failure of the arm.
    // `check_failed`: the arm answered, the class's answer checks rejected it, it was not published.
    attempts: result.attempts.map((a) => ({ arm: a.arm, outcome: a.rejectedBy ? 'check_failed' : a.kind, latencyMs: Math.round(a.latencyMs), costUsd: usd(a.costUsd), ...(a.role ? { role: a.role } : {}), ...(a.retryAfterMs !== undefined ? { retryAfterMs: a.retryAfterMs } : {}) })),
    usage: { ...result.usage, costUsd: usd(result.usage.costUsd) },
    latencyMs: Math.round(result.latencyMs),
    traceId,
    error: result.error,
    servedVia: 'live',
    // The class's static reply stands in for an answer no arm could give; attempts[] says why.
    ...(result.degraded ? { degraded: true } : {}),
    ...(result.cacheKey ? { cacheKey: result.cacheKey } : {}),
    ...(result.reduced ? { reduced: reducedV1(result.reduced) } : {}),
    ...(result.cache ? { servedFrom: 'cache' as const, cache: { ...result.cache, similarity: Math.round(result.cache.similarity * 1e4) / 1e4, ageMs: Math.round(result.cache.ageMs) } } : {}),
  };
}

function reducedV1(r: NonNullable<RouteResult['reduced']>): NonNullable<ResponseV1['reduced']> {
  return { ...r, ...(r.summary ? { summary: { ...r.summary, costUsd: usd(r.summary.costUsd) } } : {}) };
}

function usd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/**
 * A failure response that involves no provider: the request was refused before routing (a limit,
 * a schema error) or its answer could not be delivered. Deterministic for the same input, so a
 * redelivery produces the same bytes.
 */
export function refusalResponse(caller: Caller, kind: RefusalKind, message: string): ResponseV1 {
  return {
    schemaVersion: 1,
    id: caller.id,
    tenant: caller.tenant,
    status: 'failed',
    attempts: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    latencyMs: 0,
    error: { kind, message, retryable: kind === 'undeliverable' },
  };
}

/**
 * Error kinds of refusals made by the pipeline rather than the routing loop: `limits` (a size
 * limit, named in the message), `bad_request` (the request does not match the contract),
 * `undeliverable` (the answer could not be written to the reply topic), `internal` (the router kept
 * failing on the request itself; its bytes are in the DLQ).
 */
export type RefusalKind = 'limits' | 'bad_request' | 'undeliverable' | 'internal';
