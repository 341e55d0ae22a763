import { excludedByBudget, type BudgetGuard } from '../budget/budget-guard';
import type { RouterEvents } from '../events/router-events';
import type { Clock } from '../ports/clock';
import { isBreakerExclusion, type BreakerRegistry } from '../resilience/breaker-registry';
import type { ConversationStickiness } from '../resilience/conversation-stickiness';
import type { CooldownWait } from '../resilience/cooldown-wait';
import { CREDENTIALS_REFUSED } from '../resilience/credential-health';
import type { ArmSelector, Decision, ExcludedArm } from './arm-selector';
import type { ArmTable } from './arm-table';
import { BELOW_QUALITY_FLOOR, isRequestScopeExclusion } from './eligibility';
import type { EligibilityStage } from './eligibility-stage';
import { describeExclusions, lastKind, type Next, type Run, type Selection } from './route-run';

export interface SelectionStageOptions {
  clock: Clock;
  events: RouterEvents;
  table: ArmTable;
  eligibility: EligibilityStage;
  selector: ArmSelector;
  stickiness: ConversationStickiness;
  breakers: BreakerRegistry;
  cooldown: CooldownWait;
  /** Refuses a first decision no arm is worth at the budget's price of a dollar. */
  budget?: Pick<BudgetGuard, 'pricedOut'>;
}

/** Chooses the arm of the next attempt among the untried eligible ones, and says why when there is none. */
export class SelectionStage {
  constructor(private readonly options: SelectionStageOptions) {}

  /**
   * The first decision of a request. Under a cap about to be spent even on the cheapest arms, it is refused
   * (`budget_exceeded`) when no arm is worth its cost at the price of a dollar
   * (BudgetGuard.pricedOut), so the money goes to requests worth more per dollar; later decisions
   * (fallbacks, hedges) serve a request already admitted.
   */
  choose(run: Run): Next {
    const selection = this.select(run);
    if (!selection.decision) return this.nothingEligible(run, selection.excluded);
    const pricedOut = this.options.budget?.pricedOut(run.request.tenant, selection.decision.candidates);
    if (pricedOut) return { kind: 'stop', failure: 'budget_exceeded', detail: pricedOut };
    this.emitDecision(run, selection.decision);
    return { kind: 'attempt', arm: selection.decision.chosen, role: 'first' };
  }

  /** Picks among untried eligible arms: the conversation's previous arm first, else the selector. */
  select(run: Run): Selection {
    const { eligibility, table, stickiness, breakers, selector, clock } = this.options;
    const { eligible, excluded } = eligibility.check(run, table.arms, run.tried);
    if (eligible.length === 0) return { excluded };
    const conversation = run.request.routing.conversationId;
    const sticky = run.attempts.length === 0 && conversation ? stickiness.armFor(conversation) : undefined;
    const stickyArm = eligible.find((a) => a.id === sticky);
    if (stickyArm) {
      const candidates = eligible.map((a) => ({ arm: a.id, breaker: breakers.stateOf(a.id).state }));
      return { decision: { chosen: stickyArm, candidates, excluded, reason: 'conversation stickiness: served the previous turn', exploration: false } };
    }
    const picked = selector.select({ request: run.request, tried: run.tried, clock }, eligible);
    // Each candidate's breaker, so a trace shows why a probe went where it did.
    for (const candidate of picked.candidates) candidate.breaker = breakers.stateOf(candidate.arm).state;
    return { decision: { ...picked, excluded } };
  }

  emitDecision(run: Run, decision: Decision): void {
    this.options.events.emit({ type: 'decision', requestId: run.request.id, at: this.options.clock.now(), step: ++run.step, decision });
  }

  private nothingEligible(run: Run, excluded: readonly ExcludedArm[]): Next {
    // Arms the request itself ruled out (routing.models, class) say nothing about why the ones it
    // allowed could not serve: judge the failure kind on the others.
    const candidates = excluded.filter((e) => !isRequestScopeExclusion(e.reason));
    const cooling = this.options.cooldown.next(run, candidates, 'first');
    if (cooling) return cooling;
    const allBreakers = candidates.length > 0 && candidates.every((e) => isBreakerExclusion(e.reason));
    const allRefused = candidates.length > 0 && candidates.every((e) => e.reason.startsWith(CREDENTIALS_REFUSED));
    const belowFloor = candidates.length > 0 && candidates.every((e) => e.reason.startsWith(BELOW_QUALITY_FLOOR) || isBreakerExclusion(e.reason));
    const failure = run.attempts.length
      ? lastKind(run.attempts)
      : allBreakers
        ? 'circuit_open'
        : allRefused
          ? 'auth'
          : excludedByBudget(candidates)
            ? 'budget_exceeded'
            : belowFloor
              ? 'quality_unavailable'
              : 'no_eligible_arm';
    return { kind: 'stop', failure, detail: describeExclusions(excluded) };
  }
}
