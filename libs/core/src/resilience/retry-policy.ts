import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Random } from '../ports/random';
import { fullJitterDelay } from './backoff';
import type { RetryConfig } from './resilience-config';

export type RetryPlan = { retry: true; delayMs: number; reason: string } | { retry: false; reason: string };

/**
 * Whether the arm that just failed may be attempted again for this request, and after how long.
 * Per error kind: how many attempts, which backoff; a 429's Retry-After is honoured when it is not
 * above the cap (a longer one means: give the arm up for this request). The router asks only when
 * no other healthy arm is left, and checks the deadline and the retry budget itself.
 */
export class RetryPolicy {
  constructor(
    private readonly config: RetryConfig,
    private readonly random: Random,
  ) {}

  /** `attemptsOnArm`: attempts already made on this arm for this request, the failed one included. */
  plan(outcome: AttemptOutcome, attemptsOnArm: number): RetryPlan {
    if (outcome.kind === 'ok' || outcome.kind === 'cancelled') return { retry: false, reason: `nothing to retry after ${outcome.kind}` };
    const rule = this.config.perKind[outcome.kind];
    if (!rule || rule.maxAttempts <= 1) return { retry: false, reason: `${outcome.kind} is not retried on the same arm` };
    if (attemptsOnArm >= rule.maxAttempts) return { retry: false, reason: `${outcome.kind}: ${attemptsOnArm} of ${rule.maxAttempts} attempts used on ${outcome.arm}` };
    const jitter = fullJitterDelay(rule.backoff, attemptsOnArm - 1, this.random);
    const retryAfter = outcome.retryAfterMs;
    if (retryAfter !== undefined) {
      if (retryAfter > this.config.retryAfterCapMs) {
        return { retry: false, reason: `Retry-After ${retryAfter} ms is above the ${this.config.retryAfterCapMs} ms cap` };
      }
      return { retry: true, delayMs: Math.max(jitter, retryAfter), reason: `${outcome.kind}, Retry-After ${retryAfter} ms` };
    }
    return { retry: true, delayMs: jitter, reason: `${outcome.kind}, backoff before attempt ${attemptsOnArm + 1} of ${rule.maxAttempts}` };
  }
}
