import type { RouterEvents } from '../events/router-events';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { ArmConfig } from '../routing/arm';
import type { ExcludedArm } from '../routing/arm-selector';
import type { ArmTable } from '../routing/arm-table';
import type { EligibilityStage } from '../routing/eligibility-stage';
import { describeExclusions, finalKind, lastKind, type Next, type Run } from '../routing/route-run';
import type { RunGuard } from '../routing/run-guard';
import type { ReductionStage } from '../routing/reduction-stage';
import type { SelectionStage } from '../routing/selection-stage';
import type { BreakerRegistry } from './breaker-registry';
import type { CooldownWait } from './cooldown-wait';
import type { FallbackPlanner } from './fallback-planner';
import type { RetryBudget } from './retry-budget';
import type { RetryPlan, RetryPolicy } from './retry-policy';

export interface RecoveryStageOptions {
  clock: Clock;
  events: RouterEvents;
  table: ArmTable;
  guard: RunGuard;
  eligibility: EligibilityStage;
  selection: SelectionStage;
  cooldown: CooldownWait;
  fallbacks: FallbackPlanner;
  retryPolicy: RetryPolicy;
  breakers: BreakerRegistry;
  retryBudget: RetryBudget;
  /** Context reduction, when a class may use it: the step before giving up on every smaller window. */
  reduction?: ReductionStage;
}

/** After a failed attempt: rewrite, fall back, retry the same arm, wait out a 429 cooldown, or stop. */
export class RecoveryStage {
  constructor(private readonly options: RecoveryStageOptions) {}

  /** Falls back to an untried arm if one is healthy, else retries the same arm, else stops. */
  async afterFailure(run: Run, outcome: AttemptOutcome): Promise<Next> {
    const { clock, events, selection } = this.options;
    const stop = this.options.guard.check(run);
    if (stop) return stop;
    if (outcome.kind === 'deadline_exceeded') return { kind: 'stop', failure: 'deadline_exceeded' };
    if (outcome.kind === 'budget_exceeded') return this.afterBudgetRefusal(run);
    const arm = this.options.table.armFor(outcome.arm);
    const plan = this.options.fallbacks.plan(outcome, arm, run.request, run);
    if (plan.action === 'rewrite') {
      run.messages = plan.messages;
      run.rewritten = true;
      events.emit({ type: 'retry.scheduled', requestId: run.request.id, at: clock.now(), arm: arm.id, attempt: run.started + 1, delayMs: 0, reason: plan.reason });
      return { kind: 'attempt', arm, role: 'rewrite' };
    }
    let excluded: ExcludedArm[] = [];
    if (plan.action === 'fallback') {
      let fallback = selection.select(run);
      // The arms left may all be too small for the prompt: reduce it (if the class allows), then choose again.
      if (!fallback.decision && (await this.options.reduction?.reduce(run))) fallback = selection.select(run);
      // Or the provider counted more than the estimate and no larger window is left: reduce for this arm, try it again.
      if (!fallback.decision && (await this.options.reduction?.reduceAfterOverflow(run, outcome, arm))) {
        events.emit({ type: 'retry.scheduled', requestId: run.request.id, at: clock.now(), arm: arm.id, attempt: run.started + 1, delayMs: 0, reason: 'context_overflow: prompt reduced to fit' });
        return { kind: 'attempt', arm, role: 'retry' };
      }
      if (fallback.decision) {
        events.emit({ type: 'fallback', requestId: run.request.id, at: clock.now(), from: arm.id, to: fallback.decision.chosen.id, reason: plan.reason });
        selection.emitDecision(run, fallback.decision);
        return { kind: 'attempt', arm: fallback.decision.chosen, role: 'fallback' };
      }
      excluded = fallback.excluded;
    }
    const retry = await this.retrySameArm(run, outcome, arm);
    // Interrupted while waiting (shutdown): that, not the last failure, is why the request ends.
    if (retry.kind === 'attempt' || retry.failure === 'deadline_exceeded') return retry;
    const cooling = plan.action === 'fallback' ? this.options.cooldown.next(run, excluded, 'fallback') : undefined;
    if (cooling?.kind === 'wait') return cooling;
    if (plan.action === 'fallback') events.emit({ type: 'fallback', requestId: run.request.id, at: clock.now(), from: arm.id, reason: `${plan.reason}: no arm left (${retry.detail})` });
    const detail = [plan.action === 'none' ? plan.reason : undefined, retry.detail, excluded.length ? describeExclusions(excluded) : undefined];
    return { kind: 'stop', failure: finalKind(run.attempts, excluded), detail: detail.filter(Boolean).join('; ') };
  }

  /**
   * The reservation of the chosen arm did not fit (another request took the headroom since the
   * decision; no call was made): choose again among the untried arms, which now excludes every arm
   * whose maximum cost no longer fits, so a cheaper arm serves; refused only when none fits.
   */
  private afterBudgetRefusal(run: Run): Next {
    const { clock, events, selection } = this.options;
    const next = selection.select(run);
    if (!next.decision) return { kind: 'stop', failure: finalKind(run.attempts, next.excluded), detail: describeExclusions(next.excluded) };
    const refused = run.attempts.at(-1)!.arm;
    events.emit({ type: 'fallback', requestId: run.request.id, at: clock.now(), from: refused, to: next.decision.chosen.id, reason: 'budget_exceeded: its reservation did not fit, an arm that fits does' });
    selection.emitDecision(run, next.decision);
    // No call has been made yet if every attempt so far was refused at reservation: this is still the first.
    const first = run.attempts.every((a) => a.kind === 'budget_exceeded');
    return { kind: 'attempt', arm: next.decision.chosen, role: first ? 'first' : 'fallback' };
  }

  /** Waits for an arm's 429 cooldown to end (spending one retry), then chooses again among every untried arm. */
  async waitForCooldown(run: Run, wait: Extract<Next, { kind: 'wait' }>): Promise<Next> {
    const { clock, selection } = this.options;
    // Spent before sleeping: requests waiting on the same cooldown share the budget, not a burst after it.
    this.options.retryBudget.recordRetry(wait.arm);
    const delayMs = Math.max(0, wait.untilMs - clock.now());
    this.options.events.emit({ type: 'retry.scheduled', requestId: run.request.id, at: clock.now(), arm: wait.arm, attempt: run.started + 1, delayMs, reason: `rate_limited: ${wait.arm} cools down after a 429` });
    try {
      await clock.sleep(delayMs, run.signal);
    } catch {
      return { kind: 'stop', failure: 'deadline_exceeded', detail: 'router shutting down' };
    }
    const stop = this.options.guard.check(run);
    if (stop) return stop;
    if (wait.then === 'first') return selection.choose(run);
    const chosen = selection.select(run);
    if (chosen.decision) {
      selection.emitDecision(run, chosen.decision);
      return { kind: 'attempt', arm: chosen.decision.chosen, role: wait.then };
    }
    return this.options.cooldown.next(run, chosen.excluded, wait.then) ?? { kind: 'stop', failure: finalKind(run.attempts, chosen.excluded), detail: describeExclusions(chosen.excluded) };
  }

  /** Waits out the backoff (never past the deadline, within the retry budget) and re-checks the arm. */
  private async retrySameArm(run: Run, outcome: AttemptOutcome, arm: ArmConfig): Promise<Exclude<Next, { kind: 'wait' }>> {
    const plan = this.planRetry(run, outcome, arm);
    if (!plan.retry) return { kind: 'stop', failure: lastKind(run.attempts), detail: plan.reason };
    const { clock } = this.options;
    this.options.events.emit({ type: 'retry.scheduled', requestId: run.request.id, at: clock.now(), arm: arm.id, attempt: run.started + 1, delayMs: plan.delayMs, reason: plan.reason });
    try {
      await clock.sleep(plan.delayMs, run.signal);
    } catch {
      return { kind: 'stop', failure: 'deadline_exceeded', detail: 'router shutting down' };
    }
    const stop = this.options.guard.check(run);
    if (stop) return stop;
    const { excluded } = this.options.eligibility.check(run, [arm], run.tried.filter((id) => id !== arm.id));
    if (excluded.length) return { kind: 'stop', failure: lastKind(run.attempts), detail: `${arm.id} ${excluded[0].reason}` };
    return { kind: 'attempt', arm, role: 'retry' };
  }

  private planRetry(run: Run, outcome: AttemptOutcome, arm: ArmConfig): RetryPlan {
    const onArm = run.attempts.filter((a) => a.arm === arm.id && a.role !== 'continuation').length;
    const plan = this.options.retryPolicy.plan(outcome, onArm);
    if (!plan.retry) return plan;
    const breaker = this.options.breakers.stateOf(arm.id);
    if (breaker.state === 'open') return { retry: false, reason: `circuit of ${arm.id} is open` };
    const now = this.options.clock.now();
    // A 429 cooldown shared with other requests may outlast this request's own backoff.
    const delayMs = Math.max(plan.delayMs, (breaker.coolingDownUntil ?? now) - now);
    if (now + delayMs >= run.deadlineAt) return { retry: false, reason: `a ${delayMs} ms backoff would pass the request deadline` };
    if (!this.options.retryBudget.canRetry(arm.id)) return { retry: false, reason: 'retry budget spent' };
    return { ...plan, delayMs };
  }
}
