import type { Clock } from '../ports/clock';
import type { BreakerRegistry } from '../resilience/breaker-registry';
import type { CredentialHealth } from '../resilience/credential-health';
import type { ArmRateLimiter } from '../resilience/rate-limiter';
import type { ArmConfig } from './arm';
import type { ArmTable } from './arm-table';
import { checkEligibility, type Eligibility, type EligibilityRule } from './eligibility';
import type { Run } from './route-run';

export interface EligibilityStageOptions {
  clock: Clock;
  table: ArmTable;
  /** The configured rules (routing.models, class, context, ...), before the health rules. */
  rules: readonly EligibilityRule[];
  credentials: CredentialHealth;
  breakers: BreakerRegistry;
  rateLimits: ArmRateLimiter;
  budgetRule?: EligibilityRule;
}

/**
 * Which arms a request may use now: the configured rules, then refused credentials, breakers, the
 * request's fallback constraints, a reload's draining arms, budget caps and rate limits.
 */
export class EligibilityStage {
  constructor(private readonly options: EligibilityStageOptions) {}

  check(run: Run, arms: readonly ArmConfig[], tried: readonly string[]): Eligibility {
    const { table, credentials, breakers, budgetRule, rateLimits } = this.options;
    const rules = [...this.options.rules, credentials.eligibilityRule, breakers.eligibilityRule, run.constraints.rule];
    if (table.hasRetired) rules.push(table.inTable);
    if (budgetRule) rules.push(budgetRule);
    if (rateLimits.active) rules.push(rateLimits.eligibilityRule);
    const ctx = { request: run.request, promptTokens: run.promptTokens, tried: new Set(tried), now: this.options.clock.now() };
    return checkEligibility(arms, ctx, rules);
  }
}
