import type { AttemptOutcome } from '../outcome/attempt-outcome';

/**
 * When an outcome happened: the end of its call. Learners apply an outcome at this time, not at
 * the time they hear of it, so outcomes replayed from the outcomes topic on start (or broadcast
 * late by another replica) count as old as they are. Never later than `now` (another replica's
 * clock may run ahead of ours).
 */
export function outcomeTime(outcome: Pick<AttemptOutcome, 'startedAt' | 'latencyMs'>, now: number): number {
  const at = outcome.startedAt + outcome.latencyMs;
  return Number.isFinite(at) ? Math.min(now, at) : now;
}
