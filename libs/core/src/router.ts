import { traitsOf, type ErrorKind } from './errors/error-kind';
import type { RouterEvent, RouterEvents } from './events/router-events';
import type { AttemptOutcome, AttemptRole, OutcomeSink } from './outcome/attempt-outcome';
import type { Clock } from './ports/clock';
import type { ChatMessage, FinishReason, ProviderRegistry, ProviderReply } from './ports/provider';
import { SeededRandom, type Random } from './ports/random';
import { budgetExceededOutcome, excludedByBudget, type BudgetGuard } from './budget/budget-guard';
import { BreakerRegistry, isBreakerExclusion, isCooldownExclusion } from './resilience/breaker-registry';
import { CREDENTIALS_REFUSED, CredentialHealth } from './resilience/credential-health';
import { cooldownVerdict } from './resilience/cooldown-rule';
import { isJsonContractFailure } from './quality/json-contract';
import { continuationMessages, shouldContinue } from './resilience/continuation';
import { ConversationStickiness } from './resilience/conversation-stickiness';
import { FallbackConstraints, FallbackPlanner } from './resilience/fallback-planner';
import { raceHedged, type HedgeLeg } from './resilience/hedger';
import type { LatencyEstimator } from './stats/latency-estimator';
import { resolveResilience, type ResilienceConfig, type ResilienceOverrides } from './resilience/resilience-config';
import { RetryBudget } from './resilience/retry-budget';
import { ArmRateLimiter } from './resilience/rate-limiter';
import { RetryPolicy, type RetryPlan } from './resilience/retry-policy';
import type { ArmConfig } from './routing/arm';
import { diffArms, type ArmChanges } from './routing/arm-changes';
import { ArmDrain } from './routing/arm-drain';
import type { ArmSelector, Decision, ExcludedArm } from './routing/arm-selector';
import { runAttempt, type AttemptResult } from './routing/attempt-runner';
import { ALREADY_ATTEMPTED, BELOW_QUALITY_FLOOR, checkEligibility, DEFAULT_RULES, isRequestScopeExclusion, type Eligibility, type EligibilityRule } from './routing/eligibility';
import type { RouteRequest } from './routing/route-request';
import type { RouteFailure, RouteResult } from './routing/route-result';
import type { AnswerChecks, CheckFailure } from './quality/answer-checks';
import type { QualitySink } from './outcome/quality-observation';
import { estimatePromptTokens } from './routing/token-estimate';
import type { CacheProbe, CacheStage, ResponseCache } from './cache/response-cache';
import { judgeFor } from './cache/judge-hit';
import type { RouteOptions } from './streaming/stream-sink';
import { streamedProvider } from './streaming/streamed-provider';

export interface RouterOptions {
  arms: readonly ArmConfig[];
  providers: ProviderRegistry;
  selector: ArmSelector;
  clock: Clock;
  events?: RouterEvents;
  outcomeSinks?: readonly OutcomeSink[];
  eligibilityRules?: readonly EligibilityRule[];
  /** Applies when a request sets no `routing.deadlineMs`. */
  defaultDeadlineMs?: number;
  /** Hard cap on attempts per request, whatever the policies say. */
  maxAttempts?: number;
  /** Retry, breaker, fallback, hedge, ... settings over DEFAULT_RESILIENCE. */
  resilience?: ResilienceOverrides;
  /** Jitter. Defaults to a SeededRandom seeded from the clock: inject a real source in production. */
  random?: Random;
  /** Pass one to share breakers (health endpoints read `snapshot()`); otherwise the router makes its own. */
  breakers?: BreakerRegistry;
  /** Arms whose credentials the provider refused (out of rotation); the router makes its own otherwise. */
  credentials?: CredentialHealth;
  retryBudget?: RetryBudget;
  stickiness?: ConversationStickiness;
  /** Hedge delay source (P95 per arm) when `resilience.hedge.delayMs` is not set. */
  latency?: LatencyEstimator;
  /**
   * Budget caps: arms whose maximum cost no longer fits are ineligible, and every provider call
   * holds a reservation of its maximum cost, settled to the actual cost (or released) after.
   */
  budget?: BudgetGuard;
  /** Run on every answer; failures are quality observations, and reject answers of classes that say so. */
  answerChecks?: AnswerChecks;
  /** Learn from the answer checks (the adaptive policy). */
  qualitySinks?: readonly QualitySink[];
  /**
   * An attempt still running after this many times the arm's recent P99 (from `latency.p99`) is
   * counted against the arm at once, in the posterior and the breaker, so traffic leaves a provider
   * whose calls hang long before their timeouts fire (0 turns it off). Never sooner than
   * `hungMinMs` (default 1 s). Default 1.5, by measurement on bench/scenarios/timeout-outage.yaml
   * (5 seeds): traffic off a hung provider in 4.8 s at k = 1.5, 6.0 s at 2, 8.6 s at 3, with no
   * measurable cost on the stationary and latency-spike scenarios (a call that answers after a
   * report has it taken back).
   */
  hungAfterP99Multiple?: number;
  hungMinMs?: number;
  /**
   * The response cache: looked up before routing (mode read-write), written after an answer passes
   * its checks, and read as the last resort when every arm failed (any mode but off).
   */
  cache?: ResponseCache;
  /**
   * A streamed answer (`route(…, { stream })`) whose provider sends nothing for this long after
   * its first piece is stalled: the attempt fails as `timeout_read` and the answer continues on
   * another arm from what was sent. Default 10 s.
   */
  streamStallMs?: number;
}

export const DEFAULT_DEADLINE_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 8;
export const DEFAULT_STREAM_STALL_MS = 10_000;
/** Exclusion reason of an arm a routing-table reload removed while requests were using it. */
export const REMOVED_FROM_TABLE = 'removed from the routing table (draining)';

const silent: RouterEvents = { emit: () => undefined };

/** One request in flight: what has been tried and learnt so far. */
interface Run {
  request: RouteRequest;
  signal?: AbortSignal;
  startedAt: number;
  deadlineAt: number;
  promptTokens: number;
  /** The conversation sent to providers (a content-policy rewrite replaces it). */
  messages: ChatMessage[];
  rewritten: boolean;
  tried: string[];
  attempts: AttemptOutcome[];
  started: number;
  step: number;
  constraints: FallbackConstraints;
  /** The request's cache policy and keys, when a cache is configured and on for it. */
  cache?: CacheProbe;
  /** The cache entry the answer was written to. */
  cachedAs?: string;
  /** What the class's cache judge cost this request (cache-judge.ts), part of its cost. */
  judgeCostUsd?: number;
  /** A streamed request: where its text goes and all of it sent so far (every attempt's pieces). */
  stream?: { sink: NonNullable<RouteOptions['stream']>; sent: string };
}

/** A complete answer from one arm (continuations joined), before the checks decide on it. */
interface Answer {
  arm: ArmConfig;
  attempt: number;
  text: string;
  finishReason: FinishReason;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
  toolCalls?: ProviderReply['toolCalls'];
}

type Next =
  | { kind: 'attempt'; arm: ArmConfig; role: AttemptRole }
  | { kind: 'stop'; failure: ErrorKind; detail?: string; retryAfterMs?: number }
  /** Every arm the request may use is excluded and one only cools down after a 429: wait for it, then choose again. */
  | { kind: 'wait'; arm: string; untilMs: number; then: AttemptRole };

type Selection = { decision: Decision } | { decision?: undefined; excluded: ExcludedArm[] };

/**
 * The routing loop: choose an eligible arm, attempt it, record the outcome, decide the next step
 * (retry the same arm, fall back, hedge, continue a partial answer, or give up). Each of those
 * decisions belongs to a small policy object; this class only sequences them.
 * Framework-free; time and randomness come in through ports.
 */
export class Router {
  private readonly events: RouterEvents;
  private readonly rules: readonly EligibilityRule[];
  private readonly config: ResilienceConfig;
  private armsById: ReadonlyMap<string, ArmConfig>;
  /** The arms decisions choose from: the routing table's, replaced by `updateArms` on a reload. */
  private currentArms: readonly ArmConfig[];
  /** Arms a reload removed, for the requests still finishing an attempt on them. */
  private readonly retired = new Map<string, ArmConfig>();
  /** Provider calls in flight per arm: a removed arm drains. */
  readonly drain = new ArmDrain();
  readonly breakers: BreakerRegistry;
  readonly credentials: CredentialHealth;
  private readonly retryBudget: RetryBudget;
  private readonly retryPolicy: RetryPolicy;
  private readonly fallbacks: FallbackPlanner;
  private readonly stickiness: ConversationStickiness;
  private readonly budgetRule?: EligibilityRule;
  /** Client-side RPM/TPM buckets from the arms' `rateLimit` (inactive when no arm has one). */
  private readonly rateLimits: ArmRateLimiter;

  constructor(private readonly options: RouterOptions) {
    const { clock } = options;
    this.events = options.events ?? silent;
    this.rules = options.eligibilityRules ?? DEFAULT_RULES;
    this.config = resolveResilience(options.resilience);
    this.currentArms = options.arms;
    this.armsById = new Map(options.arms.map((a) => [a.id, a]));
    this.breakers = options.breakers ?? new BreakerRegistry({ clock, config: this.config.breaker, events: this.events });
    this.breakers.updateArms(options.arms);
    this.credentials = options.credentials ?? new CredentialHealth({ clock, events: this.events });
    this.retryBudget = options.retryBudget ?? new RetryBudget(clock, this.config.retryBudget);
    this.retryPolicy = new RetryPolicy(this.config.retry, options.random ?? new SeededRandom(clock.now()));
    this.fallbacks = new FallbackPlanner(this.config.fallback);
    this.stickiness = options.stickiness ?? new ConversationStickiness(clock, this.config.stickiness);
    this.budgetRule = options.budget?.eligibilityRule();
    this.rateLimits = new ArmRateLimiter(clock, options.arms);
  }

  get arms(): readonly ArmConfig[] {
    return this.currentArms;
  }

  /**
   * The arms of a reloaded routing table. New decisions see them at once; a request in flight
   * finishes the attempt it started, but an arm no longer listed is never chosen, retried or
   * hedged to again: it drains (`drain.drained(id)` resolves when its last call ended).
   */
  updateArms(arms: readonly ArmConfig[]): ArmChanges {
    const changes = diffArms(this.currentArms, arms);
    for (const id of changes.removed) this.retired.set(id, this.armsById.get(id)!);
    for (const arm of arms) this.retired.delete(arm.id);
    this.currentArms = arms;
    this.armsById = new Map(arms.map((a) => [a.id, a]));
    this.rateLimits.update(arms);
    this.breakers.updateArms(arms);
    // A reload is how a fixed key reaches the router: every refused arm gets its chance again.
    this.credentials.reset();
    return changes;
  }

  private armFor(id: string): ArmConfig {
    return this.armsById.get(id) ?? this.retired.get(id)!;
  }

  async route(request: RouteRequest, signal?: AbortSignal, options?: RouteOptions): Promise<RouteResult> {
    const run = this.start(request, signal);
    if (options?.stream) run.stream = { sink: options.stream, sent: '' };
    if (!this.options.cache) return this.routeAndAnswer(run);
    const cached = await this.fromCache(run, 'first');
    if (cached) return cached;
    const flight = run.cache?.policy.mode === 'read-write' ? this.options.cache.joinFlight(run.cache) : undefined;
    if (flight && !flight.leader) {
      // The same question is being answered right now: wait for that answer instead of asking again.
      const waited = await this.awaitFlight(run, flight.done);
      if (waited) {
        const after = await this.fromCache(run, 'first');
        if (after) return after;
      }
    }
    try {
      return await this.routeAndAnswer(run);
    } finally {
      if (flight?.leader) flight.release();
    }
  }

  /** Waits for another request's answer, within this request's deadline; false when it ran out. */
  private async awaitFlight(run: Run, done: Promise<void>): Promise<boolean> {
    const timer = new AbortController();
    const remaining = run.deadlineAt - this.options.clock.now();
    try {
      return await Promise.race([done.then(() => true), this.options.clock.sleep(Math.max(0, remaining), timer.signal).then(() => false)]);
    } finally {
      timer.abort('flight done');
    }
  }

  private async routeAndAnswer(run: Run): Promise<RouteResult> {
    let next = this.guard(run) ?? this.choose(run);
    while (next.kind !== 'stop') {
      if (next.kind === 'wait') {
        next = await this.waitForCooldown(run, next);
        continue;
      }
      const exchange = await this.exchange(run, next);
      if (exchange.winner) {
        const answer = await this.complete(run, exchange.winner);
        const rejection = this.check(run, answer);
        if (!rejection) {
          if (run.cache) await this.toCache(run, answer);
          return this.succeed(run, answer);
        }
        next = this.afterRejection(run, answer, rejection);
        continue;
      }
      next = await this.afterFailure(run, exchange.results.at(-1)!.outcome);
    }
    // Not after streamed text reached the caller: a cached answer would not continue it.
    if (run.cache && !run.stream?.sent) {
      const cached = await this.fromCache(run, 'last_resort');
      if (cached) return cached;
    }
    return this.fail(run, next);
  }

  /** A cached answer for this request at `stage`, or undefined (and the probe kept for the write). */
  private async fromCache(run: Run, stage: CacheStage): Promise<RouteResult | undefined> {
    const cache = this.options.cache!;
    if (stage === 'first') {
      const probe = cache.probe(run.request);
      if (!cache.active(probe)) return undefined;
      run.cache = probe;
    }
    const { clock, providers, budget } = this.options;
    const judgeArm = run.cache!.policy.verifyWith;
    const verifier = judgeArm ? judgeFor(run.request, judgeArm, { clock, providers, budget, arms: () => this.currentArms }) : undefined;
    const found = await cache.lookup(run.request, run.cache!, stage, verifier);
    if (found.result === 'skipped') return undefined;
    const judge = found.judge ? { judge: found.judge } : {};
    if (found.judge) run.judgeCostUsd = (run.judgeCostUsd ?? 0) + found.judge.costUsd;
    if (found.result !== 'hit') {
      this.emit({ type: 'cache.lookup', requestId: run.request.id, at: clock.now(), stage, result: found.result, embedMs: found.embedMs, rejected: found.rejected, ...judge });
      return undefined;
    }
    const { entry, kind, similarity, ageMs } = found.hit;
    const audit = { entryKey: entry.key, firstRequestId: entry.requestId };
    this.emit({ type: 'cache.lookup', requestId: run.request.id, at: clock.now(), stage, result: 'hit', kind, similarity, ageMs, embedMs: run.cache!.embedMs, ...audit, cachedQuestion: entry.question, ...judge });
    const judgeUsage = found.judge?.usage ?? { inputTokens: 0, outputTokens: 0 };
    return this.finish(run, {
      status: 'ok',
      output: { text: entry.text, finishReason: entry.finishReason },
      cache: { kind, similarity, ageMs, lastResort: stage === 'last_resort', arm: entry.arm, model: entry.model, ...audit },
      cacheKey: entry.key,
      usage: { ...judgeUsage, costUsd: totalCost(run.attempts) + (run.judgeCostUsd ?? 0) },
    });
  }

  /** Writes a checked answer; awaited so a repeat right after the reply finds it. */
  private async toCache(run: Run, answer: Answer): Promise<void> {
    // An answer to a rewritten prompt answers that prompt, not the caller's.
    if (run.rewritten) return;
    const stored = await this.options.cache!.store(run.request, run.cache!, {
      text: answer.text,
      finishReason: answer.finishReason,
      arm: answer.arm.id,
      provider: answer.arm.provider,
      model: answer.model,
    });
    if (stored.result === 'stored') {
      run.cachedAs = stored.key;
      this.emit({ type: 'cache.stored', requestId: run.request.id, at: this.options.clock.now(), result: 'stored', semantic: stored.semantic });
    } else {
      this.emit({ type: 'cache.stored', requestId: run.request.id, at: this.options.clock.now(), ...stored });
    }
  }

  /**
   * Runs the answer checks: each answer is one quality observation for its arm and class (learnt
   * on every answer, at once). Returns the failed checks when the class rejects such an answer.
   */
  private check(run: Run, answer: Answer): CheckFailure[] | undefined {
    const checks = this.options.answerChecks;
    if (!checks) return undefined;
    const { request } = run;
    const failed = checks.run(request, answer.text, answer.finishReason);
    // Streamed text is already with the caller: a failed check is learnt from, it cannot be taken back.
    // JSON mode is a contract with the caller, whatever the class's own check settings.
    const rejected = failed.length > 0 && !run.stream && (checks.rejects(request.class) || failed.some(isJsonContractFailure));
    const observation = { arm: answer.arm.id, requestClass: request.class, score: failed.length ? 0 : 1, kind: 'check' as const, source: failed[0]?.check ?? 'all', id: `${request.id}:${answer.attempt}:check` };
    for (const sink of this.options.qualitySinks ?? []) sink.recordQuality(observation);
    this.emit({ type: 'answer.checked', requestId: request.id, at: this.options.clock.now(), arm: answer.arm.id, requestClass: request.class, failed, rejected });
    return rejected ? failed : undefined;
  }

  /** A rejected answer: fall back to an arm not tried yet, else fail with check_failed. */
  private afterRejection(run: Run, answer: Answer, failed: CheckFailure[]): Next {
    const outcome = run.attempts.findLast((a) => a.arm === answer.arm.id && a.kind === 'ok');
    if (outcome) outcome.rejectedBy = failed.map((f) => f.check);
    const details = failed.map((f) => f.detail).join('; ');
    const why = failed.some(isJsonContractFailure) ? `${JSON_MODE_UNMET}: ${details}` : details;
    const stop = this.guard(run);
    if (stop) return { ...stop, failure: 'check_failed', detail: why };
    const reason = `answer from ${answer.arm.id} failed the ${failed.map((f) => f.check).join(', ')} check`;
    const selection = this.select(run);
    if (!selection.decision) {
      this.emit({ type: 'fallback', requestId: run.request.id, at: this.options.clock.now(), from: answer.arm.id, reason: `${reason}: no arm left` });
      return { kind: 'stop', failure: 'check_failed', detail: `${why}; ${describeExclusions(selection.excluded)}` };
    }
    this.emit({ type: 'fallback', requestId: run.request.id, at: this.options.clock.now(), from: answer.arm.id, to: selection.decision.chosen.id, reason });
    this.emitDecision(run, selection.decision);
    return { kind: 'attempt', arm: selection.decision.chosen, role: 'check_fallback' };
  }

  private start(request: RouteRequest, signal?: AbortSignal): Run {
    const startedAt = this.options.clock.now();
    this.emit({ type: 'request.started', requestId: request.id, tenant: request.tenant, requestClass: request.class, at: startedAt });
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

  /** Stops the loop when time, shutdown or the attempt cap say so. */
  private guard(run: Run): Extract<Next, { kind: 'stop' }> | undefined {
    if (this.options.clock.now() >= run.deadlineAt) return { kind: 'stop', failure: 'deadline_exceeded' };
    if (run.signal?.aborted) return { kind: 'stop', failure: 'deadline_exceeded', detail: 'router shutting down' };
    const max = this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (run.attempts.length >= max) return { kind: 'stop', failure: lastKind(run.attempts), detail: `attempt cap of ${max} reached` };
    return undefined;
  }

  /** The first decision of a request. */
  private choose(run: Run): Next {
    const selection = this.select(run);
    if (!selection.decision) return this.nothingEligible(run, selection.excluded);
    this.emitDecision(run, selection.decision);
    return { kind: 'attempt', arm: selection.decision.chosen, role: 'first' };
  }

  private eligibility(run: Run, arms: readonly ArmConfig[], tried: readonly string[]): Eligibility {
    const rules = [...this.rules, this.credentials.eligibilityRule, this.breakers.eligibilityRule, run.constraints.rule];
    if (this.retired.size) rules.push(this.inTable);
    if (this.budgetRule) rules.push(this.budgetRule);
    if (this.rateLimits.active) rules.push(this.rateLimits.eligibilityRule);
    const ctx = { request: run.request, promptTokens: run.promptTokens, tried: new Set(tried), now: this.options.clock.now() };
    return checkEligibility(arms, ctx, rules);
  }

  /** Picks among untried eligible arms: the conversation's previous arm first, else the selector. */
  private select(run: Run): Selection {
    const { eligible, excluded } = this.eligibility(run, this.currentArms, run.tried);
    if (eligible.length === 0) return { excluded };
    const conversation = run.request.routing.conversationId;
    const sticky = run.attempts.length === 0 && conversation ? this.stickiness.armFor(conversation) : undefined;
    const stickyArm = eligible.find((a) => a.id === sticky);
    if (stickyArm) {
      const candidates = eligible.map((a) => ({ arm: a.id, breaker: this.breakers.stateOf(a.id).state }));
      return { decision: { chosen: stickyArm, candidates, excluded, reason: 'conversation stickiness: served the previous turn', exploration: false } };
    }
    const picked = this.options.selector.select({ request: run.request, tried: run.tried, clock: this.options.clock }, eligible);
    // Each candidate's breaker, so a trace shows why a probe went where it did.
    for (const candidate of picked.candidates) candidate.breaker = this.breakers.stateOf(candidate.arm).state;
    return { decision: { ...picked, excluded } };
  }

  private nothingEligible(run: Run, excluded: readonly ExcludedArm[]): Next {
    // Arms the request itself ruled out (routing.models, class) say nothing about why the ones it
    // allowed could not serve: judge the failure kind on the others.
    const candidates = excluded.filter((e) => !isRequestScopeExclusion(e.reason));
    const cooling = this.cooldownWait(run, candidates, 'first');
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

  /** One attempt, or a hedged pair when the request asks for hedging and a delay is known. */
  private async exchange(run: Run, next: Extract<Next, { kind: 'attempt' }>): Promise<{ results: AttemptResult[]; winner?: AttemptResult }> {
    const leg = (arm: ArmConfig, role: AttemptRole): HedgeLeg => ({ arm: arm.id, run: (signal) => this.attempt(run, arm, role, { signal }) });
    const delayMs = this.hedgeDelay(run, next.arm);
    if (delayMs === undefined) {
      const result = await this.attempt(run, next.arm, next.role, { signal: run.signal });
      return { results: [result], winner: result.reply && result.outcome.kind === 'ok' ? result : undefined };
    }
    const race = await raceHedged({
      clock: this.options.clock,
      delayMs,
      signal: run.signal,
      primary: leg(next.arm, next.role),
      startHedge: () => {
        const selection = this.select(run);
        if (!selection.decision || !this.retryBudget.canRetry(selection.decision.chosen.id)) return undefined;
        const hedge = selection.decision.chosen;
        this.emitDecision(run, selection.decision);
        this.emit({ type: 'hedge.started', requestId: run.request.id, at: this.options.clock.now(), primary: next.arm.id, hedge: hedge.id, attempt: run.started + 1, delayMs });
        return leg(hedge, 'hedge');
      },
    });
    if (race.hedged && race.winner) {
      const loser = race.results.find((r) => r !== race.winner)!;
      this.emit({ type: 'hedge.won', requestId: run.request.id, at: this.options.clock.now(), winner: race.winner.outcome.arm, loser: loser.outcome.arm, loserCancelled: loser.outcome.kind === 'cancelled' });
    }
    return race;
  }

  private hedgeDelay(run: Run, arm: ArmConfig): number | undefined {
    const { hedge } = this.config;
    const wanted = run.request.routing.hedge ?? (hedge.enabled || hedge.classes.includes(run.request.class));
    // Two legs cannot stream into one answer.
    if (!wanted || run.stream) return undefined;
    const delay = hedge.delayMs ?? this.options.latency?.p95(arm.id);
    return delay === undefined ? undefined : Math.max(hedge.minDelayMs, delay);
  }

  /** Runs one provider call and records its outcome everywhere it matters. */
  private async attempt(
    run: Run,
    arm: ArmConfig,
    role: AttemptRole,
    opts: { signal?: AbortSignal; messages?: ChatMessage[]; maxTokens?: number },
  ): Promise<AttemptResult> {
    const { clock } = this.options;
    const attempt = ++run.started;
    run.tried.push(arm.id);
    // Before any await: a refused arm lets exactly one request through as its probe.
    this.credentials.acquire(arm.id);
    if (role === 'first' || role === 'fallback') this.retryBudget.recordFirstAttempt(arm.id);
    if (role === 'retry' || role === 'hedge') this.retryBudget.recordRetry(arm.id);
    const { request } = run;
    // No await at all without a budget: virtual-clock tests count microtask turns.
    const reservation = this.options.budget ? await this.options.budget.reserve(request, arm, run.promptTokens) : undefined;
    if (reservation && !reservation.ok) {
      // Another request took the headroom between eligibility and now: no call, no charge.
      const outcome = budgetExceededOutcome(arm, attempt, clock.now(), reservation.reason);
      run.attempts.push(outcome);
      this.emit({ type: 'budget.refused', requestId: request.id, at: clock.now(), arm: arm.id, reason: reservation.reason });
      this.emit({ type: 'attempt.finished', requestId: request.id, at: clock.now(), outcome });
      return { outcome };
    }
    if (reservation) this.emit({ type: 'budget.reserved', requestId: request.id, at: clock.now(), arm: arm.id, amountUsd: reservation.amountUsd });
    const maxTokens = opts.maxTokens ?? request.params.maxTokens;
    const estimatedTokens = this.rateLimits.acquire(arm, run.promptTokens, maxTokens);
    const permit = this.breakers.acquire(arm.id);
    const resumed = run.stream && !opts.messages ? this.resumeStream(run, arm, attempt, maxTokens) : undefined;
    this.emit({ type: 'attempt.started', requestId: run.request.id, at: clock.now(), arm: arm.id, attempt, model: arm.model, provider: arm.provider });
    const hung = this.watchForHang(run, arm, attempt, opts.signal);
    this.drain.begin(arm.id);
    const result = await runAttempt({
      arm,
      // A stream that has started is not hung: from its first piece the stall watch judges it.
      provider: this.providerFor(run, arm, () => hung?.stop()),
      call: {
        requestId: request.id,
        attempt,
        messages: resumed?.messages ?? opts.messages ?? run.messages,
        maxTokens: resumed ? resumed.maxTokens : maxTokens,
        temperature: request.params.temperature,
        topP: request.params.topP,
        responseFormat: request.params.responseFormat,
        stop: request.params.stop,
        tools: request.params.tools,
        toolChoice: request.params.toolChoice,
      },
      deadlineAt: run.deadlineAt,
      signal: opts.signal,
      clock,
      role,
    });
    const { outcome } = result;
    if (hung?.stop() && outcome.kind === 'ok') {
      // It answered after all: the early failure was wrong, take it back.
      for (const sink of this.options.outcomeSinks ?? []) sink.retractHung?.(arm.id, request.class);
    }
    if (estimatedTokens) this.rateLimits.settle(arm.id, estimatedTokens, outcome.usage.inputTokens + outcome.usage.outputTokens);
    if (reservation) {
      // Settle whatever the call cost (a length-cut answer still costs); release when it cost nothing.
      if (outcome.costUsd > 0) await this.options.budget!.settle(reservation, outcome.costUsd);
      else await this.options.budget!.release(reservation);
      this.emit({ type: 'budget.settled', requestId: request.id, at: clock.now(), arm: arm.id, reservedUsd: reservation.amountUsd, actualUsd: outcome.costUsd });
    }
    run.attempts.push(outcome);
    const transition = this.breakers.record(outcome, permit, request.id);
    this.credentials.record(outcome);
    if (outcome.kind !== 'cancelled') for (const sink of this.options.outcomeSinks ?? []) sink.record(outcome, request.class);
    if (transition?.to === 'closed') for (const sink of this.options.outcomeSinks ?? []) sink.armRecovered?.(arm.id);
    // After the outcome is learnt: a drained arm's state may be dropped from here on.
    this.drain.end(arm.id);
    this.emit({ type: 'attempt.finished', requestId: request.id, at: clock.now(), outcome });
    return result;
  }

  /** The arm's provider; for a streamed request, one whose pieces go to the caller and are remembered. */
  private providerFor(run: Run, arm: ArmConfig, onFirstText: () => void) {
    const provider = this.options.providers.providerFor(arm);
    const stream = run.stream;
    if (!stream) return provider;
    let first = true;
    return streamedProvider(provider, {
      clock: this.options.clock,
      stallMs: this.options.streamStallMs ?? DEFAULT_STREAM_STALL_MS,
      onText: (text) => {
        if (first) {
          first = false;
          onFirstText();
        }
        stream.sent += text;
        stream.sink.text(text);
      },
    });
  }

  /**
   * A streamed answer that an earlier attempt started and did not finish continues from what the
   * caller already has: the conversation, the text sent as the assistant's turn, and the
   * continuation prompt, so nothing is sent twice. Undefined when nothing was sent yet (an ordinary
   * retry or fallback).
   */
  private resumeStream(run: Run, arm: ArmConfig, attempt: number, maxTokens: number | undefined): { messages: ChatMessage[]; maxTokens?: number } | undefined {
    const sent = run.stream!.sent;
    if (!sent) return undefined;
    const previous = run.attempts.at(-1);
    this.emit({
      type: 'stream.switched',
      requestId: run.request.id,
      at: this.options.clock.now(),
      from: previous?.arm ?? arm.id,
      to: arm.id,
      attempt,
      streamedChars: sent.length,
      reason: previous ? `${previous.kind}${previous.message ? `: ${previous.message}` : ''}` : 'stream interrupted',
    });
    const messages = continuationMessages(run.messages, sent, this.config.continuation.prompt);
    // What was sent counts against the request's cap (estimated at the prompt's chars per token).
    return { messages, maxTokens: maxTokens === undefined ? undefined : Math.max(1, maxTokens - estimatePromptTokens([{ role: 'assistant', content: sent }])) };
  }

  /**
   * Reports the attempt as a failure of the arm once it has run k × the arm's recent P99 (a hung
   * call), long before the arm's timeout would say so. `stop()` ends the watch and tells whether
   * the report was made.
   */
  private watchForHang(run: Run, arm: ArmConfig, attempt: number, signal: AbortSignal | undefined): { stop(): boolean } | undefined {
    const multiple = this.options.hungAfterP99Multiple ?? 1.5;
    const p99 = multiple > 0 ? this.options.latency?.p99?.(arm.id) : undefined;
    if (p99 === undefined) return undefined;
    const afterMs = Math.max(this.options.hungMinMs ?? 1_000, multiple * p99);
    if (afterMs >= Math.min(arm.timeouts.totalMs, run.deadlineAt - this.options.clock.now())) return undefined;
    const { clock } = this.options;
    const watch = new AbortController();
    let reported = false;
    clock.sleep(afterMs, watch.signal).then(
      () => {
        if (signal?.aborted) return;
        reported = true;
        const { request } = run;
        const outcome: AttemptOutcome = {
          arm: arm.id,
          attempt,
          kind: 'timeout_read',
          ...traitsOf('timeout_read'),
          startedAt: clock.now() - afterMs,
          latencyMs: afterMs,
          costUsd: 0,
          usage: { inputTokens: 0, outputTokens: 0 },
          message: `still running after ${Math.round(afterMs)} ms (${multiple} × the arm's recent P99 of ${Math.round(p99)} ms): counted as hung`,
        };
        for (const sink of this.options.outcomeSinks ?? []) sink.record(outcome, request.class, `${request.id}:${attempt}:hung`);
        this.breakers.record(outcome, undefined, request.id);
        this.emit({ type: 'attempt.hung', requestId: request.id, at: clock.now(), arm: arm.id, attempt, afterMs });
      },
      () => undefined,
    );
    return {
      stop: () => {
        watch.abort('attempt finished');
        return reported;
      },
    };
  }

  /** After a failed attempt: fall back to an untried arm if one is healthy, else retry the same arm, else stop. */
  private async afterFailure(run: Run, outcome: AttemptOutcome): Promise<Next> {
    const stop = this.guard(run);
    if (stop) return stop;
    if (outcome.kind === 'deadline_exceeded') return { kind: 'stop', failure: 'deadline_exceeded' };
    const arm = this.armFor(outcome.arm);
    const plan = this.fallbacks.plan(outcome, arm, run.request, run);
    if (plan.action === 'rewrite') {
      run.messages = plan.messages;
      run.rewritten = true;
      this.emit({ type: 'retry.scheduled', requestId: run.request.id, at: this.options.clock.now(), arm: arm.id, attempt: run.started + 1, delayMs: 0, reason: plan.reason });
      return { kind: 'attempt', arm, role: 'rewrite' };
    }
    let excluded: ExcludedArm[] = [];
    if (plan.action === 'fallback') {
      const selection = this.select(run);
      if (selection.decision) {
        this.emit({ type: 'fallback', requestId: run.request.id, at: this.options.clock.now(), from: arm.id, to: selection.decision.chosen.id, reason: plan.reason });
        this.emitDecision(run, selection.decision);
        return { kind: 'attempt', arm: selection.decision.chosen, role: 'fallback' };
      }
      excluded = selection.excluded;
    }
    const retry = await this.retrySameArm(run, outcome, arm);
    // Interrupted while waiting (shutdown): that, not the last failure, is why the request ends.
    if (retry.kind === 'attempt' || retry.failure === 'deadline_exceeded') return retry;
    const cooling = plan.action === 'fallback' ? this.cooldownWait(run, excluded, 'fallback') : undefined;
    if (cooling?.kind === 'wait') return cooling;
    if (plan.action === 'fallback') this.emit({ type: 'fallback', requestId: run.request.id, at: this.options.clock.now(), from: arm.id, reason: `${plan.reason}: no arm left (${retry.detail})` });
    const detail = [plan.action === 'none' ? plan.reason : undefined, retry.detail, excluded.length ? describeExclusions(excluded) : undefined];
    return { kind: 'stop', failure: finalKind(run.attempts, excluded), detail: detail.filter(Boolean).join('; ') };
  }

  /** Applies the 429 cooldown rule (resilience/cooldown-rule.ts) to what select() excluded. */
  private cooldownWait(run: Run, excluded: readonly ExcludedArm[], then: AttemptRole): Next | undefined {
    const verdict = cooldownVerdict(excluded, {
      now: this.options.clock.now(),
      deadlineAt: run.deadlineAt,
      capMs: this.config.retry.retryAfterCapMs,
      coolingDownUntil: (arm) => this.breakers.stateOf(arm).coolingDownUntil,
      canRetry: (arm) => this.retryBudget.canRetry(arm),
    });
    if (!verdict) return undefined;
    if (verdict.wait) return { kind: 'wait', arm: verdict.arm, untilMs: verdict.untilMs, then };
    const detail = `${verdict.arm} cools down after a 429 for another ${verdict.waitMs} ms: ${verdict.why}; ${describeExclusions(excluded)}`;
    return { kind: 'stop', failure: 'rate_limited', retryAfterMs: verdict.waitMs, detail };
  }

  /** Waits for an arm's 429 cooldown to end (spending one retry), then chooses again among every untried arm. */
  private async waitForCooldown(run: Run, wait: Extract<Next, { kind: 'wait' }>): Promise<Next> {
    const { clock } = this.options;
    // Spent before sleeping: requests waiting on the same cooldown share the budget, not a burst after it.
    this.retryBudget.recordRetry(wait.arm);
    const delayMs = Math.max(0, wait.untilMs - clock.now());
    this.emit({ type: 'retry.scheduled', requestId: run.request.id, at: clock.now(), arm: wait.arm, attempt: run.started + 1, delayMs, reason: `rate_limited: ${wait.arm} cools down after a 429` });
    try {
      await clock.sleep(delayMs, run.signal);
    } catch {
      return { kind: 'stop', failure: 'deadline_exceeded', detail: 'router shutting down' };
    }
    const stop = this.guard(run);
    if (stop) return stop;
    if (wait.then === 'first') return this.choose(run);
    const selection = this.select(run);
    if (selection.decision) {
      this.emitDecision(run, selection.decision);
      return { kind: 'attempt', arm: selection.decision.chosen, role: wait.then };
    }
    return this.cooldownWait(run, selection.excluded, wait.then) ?? { kind: 'stop', failure: finalKind(run.attempts, selection.excluded), detail: describeExclusions(selection.excluded) };
  }

  /** Waits out the backoff (never past the deadline, within the retry budget) and re-checks the arm. */
  private async retrySameArm(run: Run, outcome: AttemptOutcome, arm: ArmConfig): Promise<Exclude<Next, { kind: 'wait' }>> {
    const plan = this.planRetry(run, outcome, arm);
    if (!plan.retry) return { kind: 'stop', failure: lastKind(run.attempts), detail: plan.reason };
    const { clock } = this.options;
    this.emit({ type: 'retry.scheduled', requestId: run.request.id, at: clock.now(), arm: arm.id, attempt: run.started + 1, delayMs: plan.delayMs, reason: plan.reason });
    try {
      await clock.sleep(plan.delayMs, run.signal);
    } catch {
      return { kind: 'stop', failure: 'deadline_exceeded', detail: 'router shutting down' };
    }
    const stop = this.guard(run);
    if (stop) return stop;
    const { excluded } = this.eligibility(run, [arm], run.tried.filter((id) => id !== arm.id));
    if (excluded.length) return { kind: 'stop', failure: lastKind(run.attempts), detail: `${arm.id} ${excluded[0].reason}` };
    return { kind: 'attempt', arm, role: 'retry' };
  }

  private planRetry(run: Run, outcome: AttemptOutcome, arm: ArmConfig): RetryPlan {
    const onArm = run.attempts.filter((a) => a.arm === arm.id && a.role !== 'continuation').length;
    const plan = this.retryPolicy.plan(outcome, onArm);
    if (!plan.retry) return plan;
    const breaker = this.breakers.stateOf(arm.id);
    if (breaker.state === 'open') return { retry: false, reason: `circuit of ${arm.id} is open` };
    const now = this.options.clock.now();
    // A 429 cooldown shared with other requests may outlast this request's own backoff.
    const delayMs = Math.max(plan.delayMs, (breaker.coolingDownUntil ?? now) - now);
    if (now + delayMs >= run.deadlineAt) return { retry: false, reason: `a ${delayMs} ms backoff would pass the request deadline` };
    if (!this.retryBudget.canRetry(arm.id)) return { retry: false, reason: 'retry budget spent' };
    return { ...plan, delayMs };
  }

  /** A successful reply, continued while it was cut by the length limit below what was asked. */
  private async complete(run: Run, winner: AttemptResult): Promise<Answer> {
    const arm = this.armFor(winner.outcome.arm);
    let reply = winner.reply!;
    const texts = [reply.text];
    const usage = { ...reply.usage };
    const requested = run.request.params.maxTokens;
    for (let n = 1; n <= this.config.continuation.maxContinuations && shouldContinue(reply, usage.outputTokens, requested) && !this.guard(run); n++) {
      const attempt = run.started + 1;
      this.emit({ type: 'continuation', requestId: run.request.id, at: this.options.clock.now(), arm: arm.id, attempt, continuation: n, outputTokensSoFar: usage.outputTokens });
      const messages = continuationMessages(run.messages, run.stream ? run.stream.sent : texts.join(''), this.config.continuation.prompt);
      const maxTokens = requested === undefined ? undefined : requested - usage.outputTokens;
      const next = await this.attempt(run, arm, 'continuation', { signal: run.signal, messages, maxTokens });
      // A failed continuation still leaves a usable (if cut) answer.
      if (!next.reply || next.outcome.kind !== 'ok') break;
      reply = next.reply;
      texts.push(reply.text);
      usage.inputTokens += reply.usage.inputTokens;
      usage.outputTokens += reply.usage.outputTokens;
    }
    // A streamed answer is everything the caller got, a mid-stream switch's earlier arm included.
    const text = run.stream ? run.stream.sent : texts.join('');
    return { arm, attempt: winner.outcome.attempt, text, finishReason: reply.finishReason, model: winner.reply!.model || arm.model, usage, ...(reply.toolCalls?.length ? { toolCalls: reply.toolCalls } : {}) };
  }

  private succeed(run: Run, answer: Answer): RouteResult {
    const conversation = run.request.routing.conversationId;
    if (conversation) this.stickiness.remember(conversation, answer.arm.id);
    return this.finish(run, {
      status: 'ok',
      output: { text: answer.text, finishReason: answer.finishReason, ...(answer.toolCalls ? { toolCalls: answer.toolCalls } : {}) },
      servedBy: { arm: answer.arm.id, provider: answer.arm.provider, model: answer.model },
      usage: { ...answer.usage, costUsd: totalCost(run.attempts) + (run.judgeCostUsd ?? 0) },
      ...(run.cachedAs ? { cacheKey: run.cachedAs } : {}),
    });
  }

  /** A classified failure, or the class's static reply when degradation is configured for it. */
  private fail(run: Run, stop: Extract<Next, { kind: 'stop' }>): RouteResult {
    const failure = this.failure(stop.failure, run.attempts, stop.detail);
    if (failure.kind === 'rate_limited') {
      const retryAfterMs = stop.retryAfterMs ?? this.cooldownLeft(run);
      if (retryAfterMs !== undefined) failure.retryAfterMs = Math.max(0, Math.round(retryAfterMs));
    }
    const { degradation } = this.config;
    const reply = degradation.replies[run.request.class];
    if (reply === undefined || degradation.neverOn.includes(stop.failure)) return this.finish(run, { status: 'failed', error: failure });
    this.emit({ type: 'degraded', requestId: run.request.id, at: this.options.clock.now(), requestClass: run.request.class, failure });
    return this.finish(run, { status: 'ok', output: { text: reply, finishReason: 'stop' }, degraded: true, degradedFrom: failure });
  }

  private finish(run: Run, result: Omit<RouteResult, 'attempts' | 'latencyMs' | 'usage'> & { usage?: RouteResult['usage'] }): RouteResult {
    const { clock } = this.options;
    const escalate = this.escalation(run, result);
    const full: RouteResult = {
      ...result,
      attempts: run.attempts,
      usage: result.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: totalCost(run.attempts) + (run.judgeCostUsd ?? 0) },
      latencyMs: clock.now() - run.startedAt,
      ...(escalate ? { escalate } : {}),
    };
    if (escalate) this.emit({ type: 'escalated', requestId: run.request.id, at: clock.now(), reason: escalate.reason });
    this.emit({ type: 'request.finished', requestId: run.request.id, at: clock.now(), result: full });
    return full;
  }

  private escalation(run: Run, result: Pick<RouteResult, 'status' | 'degraded'>): { reason: string } | undefined {
    const { escalation } = this.config;
    if (escalation.reviewClasses.includes(run.request.class)) return { reason: `class "${run.request.class}" is configured for review` };
    const failed = run.attempts.filter((a) => a.kind !== 'ok' && a.kind !== 'cancelled');
    if ((result.status === 'failed' || result.degraded) && failed.length >= escalation.afterFailedAttempts) {
      return { reason: `${failed.length} failed attempts (last: ${lastKind(run.attempts)})` };
    }
    return undefined;
  }

  /** Rules out a retry or fallback to an arm a reload removed (it drains). */
  private readonly inTable: EligibilityRule = (arm) => (this.armsById.has(arm.id) ? undefined : REMOVED_FROM_TABLE);

  private emitDecision(run: Run, decision: Decision): void {
    this.emit({ type: 'decision', requestId: run.request.id, at: this.options.clock.now(), step: ++run.step, decision });
  }

  private emit(event: RouterEvent): void {
    this.events.emit(event);
  }

  private failure(kind: ErrorKind, attempts: readonly AttemptOutcome[], detail?: string): RouteFailure {
    const tried = attempts.map((a) => `${a.arm}: ${a.kind}${a.message ? ` (${a.message})` : ''}`).join('; ');
    const parts = [FAILURE_TEXT[kind] ?? kind];
    if (detail) parts.push(detail);
    if (tried) parts.push(`attempts: ${tried}`);
    // A 429 cooldown ends by itself: asking again later may succeed even when no attempt was made.
    const retryable = attempts.length || kind === 'rate_limited' ? traitsOf(kind).retryable : false;
    return { kind, message: parts.join(' — '), retryable };
  }

  /**
   * How long until an arm this request may use is out of its 429 cooldown (the shortest), else
   * the last 429's Retry-After: what a rate-limited caller is told to wait.
   */
  private cooldownLeft(run: Run): number | undefined {
    const now = this.options.clock.now();
    const { excluded } = this.eligibility(run, this.currentArms, []);
    const ends = excluded.filter((e) => isCooldownExclusion(e.reason)).map((e) => this.breakers.stateOf(e.arm).coolingDownUntil ?? now);
    if (ends.length) return Math.min(...ends) - now;
    return run.attempts.findLast((a) => a.kind === 'rate_limited')?.retryAfterMs;
  }
}

function totalCost(attempts: readonly AttemptOutcome[]): number {
  return attempts.reduce((sum, a) => sum + a.costUsd, 0);
}

function lastKind(attempts: readonly AttemptOutcome[]): ErrorKind {
  for (let i = attempts.length - 1; i >= 0; i--) {
    const kind = attempts[i].kind;
    if (kind !== 'ok' && kind !== 'cancelled') return kind;
  }
  return 'no_eligible_arm';
}

/**
 * The kind a request fails with after attempts: the last failure's, unless every arm it could
 * still have fallen back to was ruled out by a budget cap — then the cap is why it ends.
 */
function finalKind(attempts: readonly AttemptOutcome[], excluded: readonly ExcludedArm[]): ErrorKind {
  const blocking = excluded.filter((e) => e.reason !== ALREADY_ATTEMPTED);
  return excludedByBudget(blocking) ? 'budget_exceeded' : lastKind(attempts);
}

function describeExclusions(excluded: readonly { arm: string; reason: string }[]): string {
  return excluded.length ? `no arm can serve this request: ${excluded.map((e) => `${e.arm} ${e.reason}`).join('; ')}` : 'no arms configured';
}

/** The start of a check_failed detail when the request's JSON mode was not met. */
const JSON_MODE_UNMET = 'the request asked for JSON (params.responseFormat) and no arm answered with JSON that passes the check';

/** A first sentence a person can act on, per final error kind. */
const FAILURE_TEXT: Partial<Record<ErrorKind, string>> = {
  no_eligible_arm: 'No configured arm can serve this request (check routing.models, class and context size)',
  check_failed: 'Every answer failed the answer checks this request class requires (see attempts and the checks named)',
  quality_unavailable: 'No arm currently meets the quality floor (minQuality) of this request class; try again later',
  deadline_exceeded: 'The request deadline passed before any arm answered (raise routing.deadlineMs or check provider latency)',
  rate_limited: 'The arms this request may use are rate limited (429) and cool down longer than the request can wait; try again after retryAfterMs (or lower the request rate, add capacity)',
  server_error: 'Every eligible arm failed with a provider server error, retries included (check the providers\' status)',
  auth: 'The provider refused the credentials (check the API key configured for the provider)',
  bad_request: 'The provider rejected the request as invalid (check messages and params)',
  context_overflow: 'The prompt does not fit the context window of any eligible arm (shorten it or allow a larger-window model)',
  content_policy: 'The provider refused the content under its policy (content-policy fallback is off unless routing.contentPolicyFallback is set)',
  network: 'Every eligible arm was unreachable (check network egress and provider endpoints)',
  timeout_connect: 'Connecting to the provider timed out (check network egress and the arm\'s connect timeout)',
  timeout_read: 'The provider did not answer within the arm timeout (raise timeouts.totalMs or use a faster arm)',
  budget_exceeded: 'The budget left for this tenant cannot cover the request',
  circuit_open: 'Every eligible arm has an open circuit breaker (see /health/routing)',
};
