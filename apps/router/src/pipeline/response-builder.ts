import type { RequestV1, ResponseV1 } from '@switchyard/contracts';
import type { RouteRequest, RouteResult } from '@switchyard/core';

export function toRouteRequest(request: RequestV1): RouteRequest {
  return {
    id: request.id,
    tenant: request.tenant,
    class: request.class,
    messages: request.messages,
    params: request.params,
    routing: request.routing,
  };
}

/** Response v1 (DESIGN.md) from the router's result. Attempt costs are rounded to 1e-9 USD. */
export function toResponseV1(request: RequestV1, result: RouteResult, traceId?: string): ResponseV1 {
  return {
    schemaVersion: 1,
    id: request.id,
    tenant: request.tenant,
    status: result.status,
    output: result.output,
    servedBy: result.servedBy,
    attempts: result.attempts.map((a) => ({ arm: a.arm, outcome: a.kind, latencyMs: Math.round(a.latencyMs), costUsd: usd(a.costUsd) })),
    usage: { ...result.usage, costUsd: usd(result.usage.costUsd) },
    latencyMs: Math.round(result.latencyMs),
    traceId,
    error: result.error,
  };
}

function usd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
