import type { AttemptRole } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { ExcludedArm } from '../routing/arm-selector';
import type { ArmTable } from '../routing/arm-table';
import type { EligibilityStage } from '../routing/eligibility-stage';
import { describeExclusions, type Next, type Run } from '../routing/route-run';
import { isCooldownExclusion, type BreakerRegistry } from './breaker-registry';
import { cooldownVerdict } from './cooldown-rule';
import type { RetryBudget } from './retry-budget';

export interface CooldownWaitOptions {
  clock: Clock;
  table: ArmTable;
  eligibility: EligibilityStage;
  breakers: BreakerRegistry;
  retryBudget: RetryBudget;
  /** `retry.retryAfterCapMs`: a Retry-After above this is not waited for. */
  capMs: number;
}

/** The 429 cooldown rule (cooldown-rule.ts) applied to a request: wait for a cooling arm, or fail rate_limited. */
export class CooldownWait {
  constructor(private readonly options: CooldownWaitOptions) {}

  /** What to do when every arm is excluded and some only cool down after a 429; undefined when none does. */
  next(run: Run, excluded: readonly ExcludedArm[], then: AttemptRole): Next | undefined {
    const { breakers, retryBudget } = this.options;
    const verdict = cooldownVerdict(excluded, {
      now: this.options.clock.now(),
      deadlineAt: run.deadlineAt,
      capMs: this.options.capMs,
      coolingDownUntil: (arm) => breakers.stateOf(arm).coolingDownUntil,
      canRetry: (arm) => retryBudget.canRetry(arm),
    });
    if (!verdict) return undefined;
    if (verdict.wait) return { kind: 'wait', arm: verdict.arm, untilMs: verdict.untilMs, then };
    const detail = `${verdict.arm} cools down after a 429 for another ${verdict.waitMs} ms: ${verdict.why}; ${describeExclusions(excluded)}`;
    return { kind: 'stop', failure: 'rate_limited', retryAfterMs: verdict.waitMs, detail };
  }

  /**
   * How long until an arm this request may use is out of its 429 cooldown (the shortest), else
   * the last 429's Retry-After: what a rate-limited caller is told to wait.
   */
  left(run: Run): number | undefined {
    const now = this.options.clock.now();
    const { excluded } = this.options.eligibility.check(run, this.options.table.arms, []);
    const ends = excluded.filter((e) => isCooldownExclusion(e.reason)).map((e) => this.options.breakers.stateOf(e.arm).coolingDownUntil ?? now);
    if (ends.length) return Math.min(...ends) - now;
    return run.attempts.findLast((a) => a.kind === 'rate_limited')?.retryAfterMs;
  }
}
