import type { RequestV1 } from '@switchyard/contracts';

/** The longest `deadlineMs` the live path takes (the request schema's bound): one routing run's wall-clock limit. */
export const MAX_LIVE_DEADLINE_MS = 600_000;

/** The request's deadline as epoch ms: `deadlineAt`, else `deadlineMs` from `receivedAt`; undefined when it gave none. */
export function deadlineOf(routing: Pick<RequestV1['routing'], 'deadlineAt' | 'deadlineMs'>, receivedAt: number): number | undefined {
  if (routing.deadlineAt !== undefined) return Date.parse(routing.deadlineAt);
  return routing.deadlineMs === undefined ? undefined : receivedAt + routing.deadlineMs;
}

/**
 * `deadlineAt` as the live router takes it: the ms left, at least 1 (a deadline already passed
 * fails as deadline_exceeded at once) and at most one live run's limit.
 */
export function liveRouting<R extends Pick<RequestV1['routing'], 'deadlineAt' | 'deadlineMs'>>(routing: R, now: number): R & { deadlineMs?: number } {
  if (routing.deadlineAt === undefined) return routing;
  const left = Date.parse(routing.deadlineAt) - now;
  return { ...routing, deadlineMs: Math.min(Math.max(Math.round(left), 1), MAX_LIVE_DEADLINE_MS) };
}
