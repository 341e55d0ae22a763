import type { RouterEvents } from './events/router-events';
import { SeededRandom } from './ports/random';
import { BreakerRegistry } from './resilience/breaker-registry';
import { CredentialHealth } from './resilience/credential-health';
import { CooldownWait } from './resilience/cooldown-wait';
import { ConversationStickiness } from './resilience/conversation-stickiness';
import { FallbackConstraints, FallbackPlanner } from './resilience/fallback-planner';
import { FallbackGuardSettings } from './quality/fallback-guard';
import { HangWatch } from './resilience/hang-watch';
import { RecoveryStage } from './resilience/recovery-stage';
import { resolveResilience } from './resilience/resilience-config';
import { RetryBudget } from './resilience/retry-budget';
import { ArmRateLimiter } from './resilience/rate-limiter';
import { RetryPolicy } from './resilience/retry-policy';
import type { ArmConfig } from './routing/arm';
import type { ArmChanges } from './routing/arm-changes';
import type { Decision } from './routing/arm-selector';
import { ArmDrain } from './routing/arm-drain';
import { ArmTable } from './routing/arm-table';
import { AttemptAccounting } from './routing/attempt-accounting';
import { AttemptStage } from './routing/attempt-stage';
import { DEFAULT_RULES } from './routing/eligibility';
import { EligibilityStage } from './routing/eligibility-stage';
import { FinishStage } from './routing/finish-stage';
import type { RouteRequest } from './routing/route-request';
import type { RouteResult } from './routing/route-result';
import type { Run } from './routing/route-run';
import { RunGuard } from './routing/run-guard';
import { SelectionStage } from './routing/selection-stage';
import { estimatePromptTokens } from './routing/token-estimate';
import { CheckStage } from './quality/check-stage';
import { FallbackGuardStage } from './quality/guard-stage';
import { ReductionStage } from './routing/reduction-stage';
import { ResponseCacheStage } from './cache/cache-stage';
import type { RouteOptions } from './streaming/stream-sink';
import { StreamResume } from './streaming/stream-resume';
import type { RouterOptions } from './router-options';

export type { RouterOptions } from './router-options';
export { REMOVED_FROM_TABLE } from './routing/arm-table';
export { DEFAULT_MAX_ATTEMPTS } from './routing/run-guard';
export { DEFAULT_STREAM_STALL_MS } from './streaming/stream-resume';

export const DEFAULT_DEADLINE_MS = 30_000;

const silent: RouterEvents = { emit: () => undefined };

/**
 * The routing loop: choose an eligible arm, attempt it, check the answer, decide the next step
 * (retry the same arm, fall back, hedge, continue a partial answer, or give up). Each of those is
 * a stage, a small object with one job (routing/, resilience/, quality/, cache/, streaming/); this
 * class builds them and sequences them. Framework-free; time and randomness come in through ports.
 */
export class Router {
  /** Provider calls in flight per arm: a removed arm drains. */
  readonly drain = new ArmDrain();
  readonly breakers: BreakerRegistry;
  readonly credentials: CredentialHealth;
  private readonly events: RouterEvents;
  private readonly table: ArmTable;
  /** Client-side RPM/TPM buckets from the arms' `rateLimit` (inactive when no arm has one). */
  private readonly rateLimits: ArmRateLimiter;
  private readonly guard: RunGuard;
  private readonly selection: SelectionStage;
  private readonly attempts: AttemptStage;
  private readonly checks: CheckStage;
  private readonly recovery: RecoveryStage;
  private readonly outcome: FinishStage;
  private readonly cache?: ResponseCacheStage;
  private readonly reduction?: ReductionStage;
  /** Checks fallback answers and announces them (review stream); read by tests through `settled()`. */
  readonly fallbackGuard: FallbackGuardStage;

  constructor(private readonly options: RouterOptions) {
    const { clock, budget } = options;
    const events = (this.events = options.events ?? silent);
    const config = resolveResilience(options.resilience);
    const table = (this.table = new ArmTable(options.arms));
    const breakers = (this.breakers = options.breakers ?? new BreakerRegistry({ clock, config: config.breaker, events }));
    breakers.updateArms(options.arms);
    const credentials = (this.credentials = options.credentials ?? new CredentialHealth({ clock, events }));
    const retryBudget = options.retryBudget ?? new RetryBudget(clock, config.retryBudget);
    const retryPolicy = new RetryPolicy(config.retry, options.random ?? new SeededRandom(clock.now()));
    const stickiness = options.stickiness ?? new ConversationStickiness(clock, config.stickiness);
    const rateLimits = (this.rateLimits = new ArmRateLimiter(clock, options.arms));
    const outcomeSinks = options.outcomeSinks ?? [];
    const guard = (this.guard = new RunGuard(clock, options.maxAttempts));
    const rules = options.eligibilityRules ?? DEFAULT_RULES;
    const eligibility = new EligibilityStage({ clock, table, rules, credentials, breakers, rateLimits, budgetRule: budget?.eligibilityRule() });
    const cooldown = new CooldownWait({ clock, table, eligibility, breakers, retryBudget, capMs: config.retry.retryAfterCapMs });
    const selection = (this.selection = new SelectionStage({ clock, events, table, eligibility, selector: options.selector, stickiness, breakers, cooldown, budget }));
    this.attempts = new AttemptStage({
      clock,
      events,
      table,
      drain: this.drain,
      guard,
      selection,
      accounting: new AttemptAccounting({ credentials, retryBudget, rateLimits, breakers, budget, outcomeSinks }),
      hangWatch: new HangWatch({ clock, events, breakers, outcomeSinks, latency: options.latency, afterP99Multiple: options.hungAfterP99Multiple, minMs: options.hungMinMs }),
      streams: new StreamResume({ clock, events, providers: options.providers, stallMs: options.streamStallMs, continuationPrompt: config.continuation.prompt }),
      retryBudget,
      hedge: config.hedge,
      continuation: config.continuation,
      latency: options.latency,
    });
    this.checks = new CheckStage({ clock, events, guard, selection, answerChecks: options.answerChecks, qualitySinks: options.qualitySinks ?? [] });
    const fallbacks = new FallbackPlanner(config.fallback);
    const calls = { clock, providers: options.providers, budget };
    if (options.reduction) this.reduction = new ReductionStage({ ...calls, events, table, eligibility, settings: options.reduction });
    this.fallbackGuard = new FallbackGuardStage({ ...calls, events, table, settings: options.fallbackGuard?.settings ?? new FallbackGuardSettings(), embedder: options.fallbackGuard?.embedder, embedTimeoutMs: options.fallbackGuard?.embedTimeoutMs });
    this.recovery = new RecoveryStage({ clock, events, table, guard, eligibility, selection, cooldown, fallbacks, retryPolicy, breakers, retryBudget, reduction: this.reduction });
    this.outcome = new FinishStage({ clock, events, stickiness, cooldown, degradation: config.degradation, escalation: config.escalation });
    if (options.cache) this.cache = new ResponseCacheStage({ cache: options.cache, clock, events, providers: options.providers, budget, table, finish: this.outcome });
  }

  get arms(): readonly ArmConfig[] {
    return this.table.arms;
  }

  /**
   * The arms of a reloaded routing table. New decisions see them at once; a request in flight
   * finishes the attempt it started, but an arm no longer listed is never chosen, retried or
   * hedged to again: it drains (`drain.drained(id)` resolves when its last call ended).
   */
  updateArms(arms: readonly ArmConfig[]): ArmChanges {
    const changes = this.table.update(arms);
    this.rateLimits.update(arms);
    this.breakers.updateArms(arms);
    // A reload is how a fixed key reaches the router: every refused arm gets its chance again.
    this.credentials.reset();
    return changes;
  }

  async route(request: RouteRequest, signal?: AbortSignal, options?: RouteOptions): Promise<RouteResult> {
    const run = this.start(request, signal);
    if (options?.stream) run.stream = { sink: options.stream, sent: '' };
    if (!this.cache) return this.routeAndAnswer(run);
    const cached = await this.cache.lookup(run, 'first');
    if (cached) return cached;
    const flight = this.cache.joinFlight(run);
    if (flight && !flight.leader) {
      // The same question is being answered right now: wait for that answer instead of asking again.
      const waited = await this.cache.awaitFlight(run, flight.done);
      if (waited) {
        const after = await this.cache.lookup(run, 'first');
        if (after) return after;
      }
    }
    try {
      return await this.routeAndAnswer(run);
    } finally {
      if (flight?.leader) flight.release();
    }
  }

  private async routeAndAnswer(run: Run): Promise<RouteResult> {
    let next = this.guard.check(run) ?? this.selection.choose(run);
    // Nothing fits the prompt: the class may allow reducing it to fit, then choose again.
    if (next.kind === 'stop' && next.failure === 'no_eligible_arm' && (await this.reduction?.reduce(run))) next = this.guard.check(run) ?? this.selection.choose(run);
    while (next.kind !== 'stop') {
      if (next.kind === 'wait') {
        next = await this.recovery.waitForCooldown(run, next);
        continue;
      }
      const exchange = await this.attempts.exchange(run, next);
      if (exchange.winner) {
        const answer = await this.attempts.complete(run, exchange.winner);
        const checked = this.checks.check(run, answer);
        const guarding = checked ? undefined : this.fallbackGuard.check(run, answer);
        const rejection = checked ?? (guarding && (await guarding));
        if (!rejection) {
          if (run.cache) await this.cache!.store(run, answer);
          return this.outcome.succeed(run, answer);
        }
        next = this.checks.afterRejection(run, answer, rejection);
        continue;
      }
      next = await this.recovery.afterFailure(run, exchange.results.at(-1)!.outcome);
    }
    // Not after streamed text reached the caller: a cached answer would not continue it.
    if (run.cache && !run.stream?.sent) {
      const cached = await this.cache!.lookup(run, 'last_resort');
      if (cached) return cached;
    }
    return this.outcome.fail(run, next);
  }

  /**
   * What the selector would choose for `request` now, without calling any arm or emitting events:
   * the batch path weighs this live option against a batch one. Undefined when no arm is eligible.
   */
  quote(request: RouteRequest): Decision | undefined {
    return this.selection.select(this.newRun(request)).decision;
  }

  private start(request: RouteRequest, signal?: AbortSignal): Run {
    const run = this.newRun(request, signal);
    this.events.emit({ type: 'request.started', requestId: request.id, tenant: request.tenant, requestClass: request.class, at: run.startedAt });
    return run;
  }

  private newRun(request: RouteRequest, signal?: AbortSignal): Run {
    const startedAt = this.options.clock.now();
    return {
      request,
      signal,
      startedAt,
      deadlineAt: startedAt + (request.routing.deadlineMs ?? this.options.defaultDeadlineMs ?? DEFAULT_DEADLINE_MS),
      promptTokens: estimatePromptTokens(request.messages),
      messages: request.messages,
      rewritten: false,
      tried: [],
      attempts: [],
      started: 0,
      step: 0,
      constraints: new FallbackConstraints(),
    };
  }
}
