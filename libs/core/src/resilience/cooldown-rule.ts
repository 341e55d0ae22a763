import type { ExcludedArm } from '../routing/arm-selector';
import { isCooldownExclusion } from './breaker-registry';

export type CooldownVerdict =
  /** Wait until `untilMs` (the earliest cooldown's end), spending one retry of `arm`, then choose again. */
  | { wait: true; arm: string; untilMs: number }
  /** Fail `rate_limited` now: the cooldown left is `waitMs`, and `why` it is not waited for. */
  | { wait: false; arm: string; waitMs: number; why: string };

export interface CooldownContext {
  now: number;
  deadlineAt: number;
  /** A Retry-After above this is not waited for (`retry.retryAfterCapMs`). */
  capMs: number;
  coolingDownUntil(arm: string): number | undefined;
  canRetry(arm: string): boolean;
}

/**
 * The one rule for a request whose every usable arm is excluded while at least one of them only
 * cools down after a 429 (docs/resilience.md, "429 cooldowns"): wait for the earliest cooldown to
 * end when it ends before the request's deadline, within the Retry-After cap, and the retry budget
 * allows one more call to that arm; else fail `rate_limited` with the wait left. Undefined when no
 * excluded arm cools down (the failure is something else).
 */
export function cooldownVerdict(excluded: readonly ExcludedArm[], ctx: CooldownContext): CooldownVerdict | undefined {
  let arm: string | undefined;
  let until = Infinity;
  for (const e of excluded) {
    if (!isCooldownExclusion(e.reason)) continue;
    const end = ctx.coolingDownUntil(e.arm);
    if (end !== undefined && end < until) [arm, until] = [e.arm, end];
  }
  if (arm === undefined) return undefined;
  const waitMs = until - ctx.now;
  if (until >= ctx.deadlineAt) return { wait: false, arm, waitMs, why: 'that is past the request deadline' };
  if (waitMs > ctx.capMs) return { wait: false, arm, waitMs, why: `that is above the ${ctx.capMs} ms Retry-After cap` };
  if (!ctx.canRetry(arm)) return { wait: false, arm, waitMs, why: 'retry budget spent' };
  return { wait: true, arm, untilMs: until };
}
