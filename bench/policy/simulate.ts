// One policy on one seed of a scenario: the real libs/core Router (resilience, breakers, retry
// budget, BudgetGuard) over a simulated provider, on a discrete-event virtual clock.
import {
  BudgetGuard,
  InMemoryBudgetStore,
  LatencySelector,
  OrderedSelector,
  ProviderError,
  RoundRobinSelector,
  Router,
  SeededRandom,
  ThompsonSelector,
  BUDGET_EXCLUSION_PREFIX,
  DEFAULT_RULES,
  costUsd,
  realisedNetValue,
  reloadArms,
  resolveValue,
  type ArmConfig,
  type ArmSelector,
  type ArmStateHolder,
  type AttemptOutcome,
  type ChatMessage,
  type EligibilityRule,
  type OutcomeSink,
  type Provider,
  type ProviderCall,
  type ProviderRegistry,
  type ProviderReply,
  type ResilienceOverrides,
  type RouteRequest,
  type ThompsonOptions,
  type ValueParams,
} from '@switchyard/core';
import { OracleSelector, posteriorMeanChoice, type OracleTruth } from '@switchyard/core/testing';
import { capLines, tenantOfClass } from './budget-lines';
import { EventClock } from './event-clock';
import { FEEDBACK_SOURCE, feedbackOn, judgeAnswer, type AnswerJudgement } from './judgement';
import type { MembershipEvent, Scenario } from './scenario';
import { eventTimes, stationaryAt } from './stationary';
import { armStateAt, classQuality, mix, normal, sigmaOf, T0, type World } from './world';

export const POLICIES = ['switchyard', 'static-chain', 'simple-retry', 'round-robin', 'latency-cooldown', 'best-fixed-arm', 'oracle'] as const;
export type PolicyName = (typeof POLICIES)[number];
/** One run of the best-fixed-arm baseline: the static chain with arm `fixedArm` first. */
export type RunSpec = PolicyName | { fixedArm: number };

/** Marker the router's content-policy rewrite puts in front of the prompt (the provider sees it). */
export const SANITIZED = '[switchyard: prompt sanitized]';

/** The "same resilience" of every multi-arm policy: core defaults plus a prompt rewrite for content blocks. */
export const BENCH_RESILIENCE: ResilienceOverrides = {
  fallback: { contentPolicy: { enabled: false, rewrite: (messages) => [{ role: 'system', content: SANITIZED }, ...messages] } },
};

/**
 * simple-retry: the first arm only, retries per the default per-kind rules (Retry-After honoured up
 * to 30 s), no breaker, no shared 429 cooldown (each request waits out its own Retry-After), no
 * retry budget, no fallback.
 */
export const SIMPLE_RETRY_RESILIENCE: ResilienceOverrides = {
  breaker: { consecutiveFailures: Number.MAX_SAFE_INTEGER, minimumCalls: Number.MAX_SAFE_INTEGER, maxCooldownMs: 0 },
  retryBudget: { ratio: 1e9, minRetriesPerSecond: 1e9 },
};

/** What one request came to, for metrics and plots. */
export interface RequestRecord {
  index: number;
  at: number;
  ok: boolean;
  /** ok, acceptable and within the class SLO. */
  success: boolean;
  latencyMs: number;
  costUsd: number;
  firstArm: number;
  servedArm: number;
  utility: number;
  /** Realised net value (value/net-value.ts): V·good − cost − latency cost, USD. */
  netValue: number;
  failure?: string;
}

export interface RunResult {
  policy: PolicyName | string;
  seed: number;
  records: RequestRecord[];
  /**
   * Spend (USD, as providers charged it) per cap line of the scenario's budget (budget-lines.ts:
   * `<scope> <window id>`); empty without a budget.
   */
  spendByWindow: Map<string, number>;
  /** The cap of each line in spendByWindow, USD. */
  capByLine: Map<string, number>;
  budgetOvershootPct: number;
  wallMs: number;
  /**
   * switchyard only: first-attempt decisions, those not for the posterior-mean choice (`explored`),
   * and those the policy flagged as exploration (`flagged`: exploration-floor draws, half-open probes);
   * `stationaryDecisions` / `stationaryExplored`: the same, counted only in stationary stretches
   * (stationary.ts: no scenario event in the last STATIONARY_AFTER_MS).
   */
  exploration?: Exploration;
}

export interface Exploration {
  decisions: number;
  explored: number;
  flagged: number;
  stationaryDecisions: number;
  stationaryExplored: number;
}

/**
 * The budget-aware oracle's price of a dollar (budget-oracle.ts): the multiplier 1 + Σλ on cost for
 * a request of `tenant` at `now` (clock ms). Above 1, an arm whose true expected net value at that
 * price is not positive is refused for budget.
 */
export type OraclePrice = (tenant: string, now: number) => number;

export interface RunOptions {
  /** Makes the oracle the priced one (instead of following the budget pacer). */
  oraclePrice?: OraclePrice;
  /** `false`: no BudgetGuard (the budget-aware oracle's search measures unconstrained spend). */
  hardCaps?: boolean;
  /** Breaker settings over the policy's (bench/live/gap.ts: the time-scaled router a compressed live run gets). */
  breaker?: ResilienceOverrides['breaker'];
}

const messageCache = new Map<number, ChatMessage[]>();
/** A prompt whose estimatePromptTokens is ≈ `tokens` (4 characters per token). */
function promptOf(tokens: number): ChatMessage[] {
  const bucket = Math.max(0, tokens - 7);
  let m = messageCache.get(bucket);
  if (!m) {
    m = [{ role: 'user', content: 'x'.repeat(bucket * 4) }];
    messageCache.set(bucket, m);
  }
  return m;
}

export function armConfigs(scenario: Scenario): ArmConfig[] {
  return scenario.arms.map((a) => ({
    id: a.id,
    provider: a.provider,
    providerKind: 'openai-compatible',
    model: a.model ?? a.id,
    pricing: { inputPer1M: a.price.inputPer1M, outputPer1M: a.price.outputPer1M },
    contextWindow: a.contextWindow,
    maxOutputTokens: a.maxOutputTokens,
    classes: [],
    policyGroup: a.policyGroup,
    timeouts: { connectMs: 1_000, totalMs: a.timeoutMs },
  }));
}

/** The arms that join or leave the routing table at a request index, in request order. */
export function membershipEvents(scenario: Scenario): MembershipEvent[] {
  return scenario.events.filter((e): e is MembershipEvent => e.type === 'arm-added' || e.type === 'arm-removed').sort((a, b) => a.atRequest - b.atRequest);
}

/**
 * The static chain as an operator keeps it: the scenario's arm order for the arms there from the
 * start, each added arm put first or last as its event says (`chainPosition`).
 */
export function staticChain(scenario: Scenario): string[] {
  const events = membershipEvents(scenario);
  const added = new Set(events.filter((e) => e.type === 'arm-added').map((e) => e.arm));
  const chain = scenario.arms.filter((a) => !added.has(a.id)).map((a) => a.id);
  for (const e of events) {
    if (e.type !== 'arm-added') continue;
    if (e.chainPosition === 'first') chain.unshift(e.arm);
    else chain.push(e.arm);
  }
  return chain;
}

/** Mean expected cost over the arms (initial prices) for the class's median request: utility's refCost. */
export function refCosts(scenario: Scenario): number[] {
  const arms = armConfigs(scenario);
  return scenario.workload.classes.map((c) => arms.reduce((s, a) => s + costUsd(a, { inputTokens: c.inputTokens.median, outputTokens: Math.min(c.outputTokens.median, c.maxTokens ?? Infinity) }), 0) / arms.length);
}

/**
 * The scenario's arms as providers: each call draws its outcome from the arm's true state at call
 * time and from random numbers keyed by (seed, request, arm, n-th call of that request on that
 * arm), identical across policies. Latency is slept on the virtual clock.
 */
export class SimProviders implements ProviderRegistry {
  private readonly buckets: Array<{ tokens: number; last: number; rps: number }>;
  private readonly callsOnArm = new Map<number, number[]>();
  private readonly providers: Provider[];
  private readonly indexOf: Map<string, number>;

  constructor(
    private readonly scenario: Scenario,
    private readonly world: World,
    private readonly clock: EventClock,
  ) {
    // By the scenario's arm index, whatever order the router lists arms in (best-fixed-arm reorders
    // them), so every policy draws the same outcomes for the same arm.
    this.indexOf = new Map(scenario.arms.map((a, i) => [a.id, i]));
    this.buckets = scenario.arms.map(() => ({ tokens: NaN, last: 0, rps: 0 }));
    this.providers = scenario.arms.map((_, i) => ({ call: (call: ProviderCall) => this.call(i, call) }));
  }

  providerFor(arm: ArmConfig): Provider {
    return this.providers[this.indexOf.get(arm.id)!];
  }

  forget(requestIndex: number): void {
    this.callsOnArm.delete(requestIndex);
  }

  /** Tokens left in the arm's bucket now (Infinity without a limit). */
  tokensAvailable(i: number): number {
    const t = this.clock.now() - T0;
    const limit = armStateAt(this.scenario.arms[i], this.world.timelines[i], t).rateLimit;
    if (!limit) return Infinity;
    return this.refill(i, limit, t).tokens;
  }

  private refill(i: number, limit: { rps: number; burst: number }, t: number) {
    const b = this.buckets[i];
    if (Number.isNaN(b.tokens) || b.rps !== limit.rps) {
      if (Number.isNaN(b.tokens)) b.tokens = limit.burst;
      b.rps = limit.rps;
    } else {
      b.tokens = Math.min(limit.burst, b.tokens + ((t - b.last) * limit.rps) / 1000);
    }
    b.tokens = Math.min(b.tokens, limit.burst);
    b.last = t;
    return b;
  }

  private async call(i: number, call: ProviderCall): Promise<ProviderReply> {
    const arm = this.scenario.arms[i];
    const t = this.clock.now() - T0;
    const state = armStateAt(arm, this.world.timelines[i], t);
    const index = Number(call.requestId);
    const request = this.world.requests[index];
    let counts = this.callsOnArm.get(index);
    if (!counts) this.callsOnArm.set(index, (counts = new Array<number>(this.scenario.arms.length).fill(0)));
    const r = new SeededRandom(mix(this.world.seed, index, i, counts[i]++));
    const uFail = r.next();
    const z = normal(r);
    const fail = async (kind: 'server_error' | 'rate_limited' | 'content_policy', status: number, retryAfterMs?: number): Promise<never> => {
      await this.clock.sleep(arm.errorLatencyMs, call.signal);
      throw new ProviderError({ kind, status, message: `simulated ${status} from ${arm.id}`, retryAfterMs });
    };
    if (state.rateLimit) {
      const b = this.refill(i, state.rateLimit, t);
      if (b.tokens < 1) {
        const retryAfterMs = state.rateLimit.retryAfterMs ?? Math.ceil(((1 - b.tokens) * 1000) / state.rateLimit.rps);
        return fail('rate_limited', 429, retryAfterMs);
      }
      b.tokens -= 1;
    }
    if (state.down === 'timeout') {
      // Hangs until the router's attempt timeout (or the deadline) aborts it.
      await this.clock.sleep(Number.MAX_SAFE_INTEGER / 4, call.signal);
    }
    if (state.down === 'error') return fail('server_error', 503);
    if (uFail < state.failureRate) return fail('server_error', 500);
    const rewritten = call.messages[0]?.content === SANITIZED;
    const blockRate = arm.contentPolicyRate * (rewritten ? arm.contentPolicyAfterRewrite : 1);
    if (request.uPolicy < blockRate) return fail('content_policy', 400);
    let latencyMs = arm.latency.medianMs * state.latencyMultiplier * Math.exp(sigmaOf(arm.latency.medianMs, arm.latency.p95Ms) * z);
    // Drawn only for arms with a tail, so every other arm keeps its draws.
    if (arm.latency.tail && r.next() < arm.latency.tail.share) latencyMs *= arm.latency.tail.multiplier;
    await this.clock.sleep(Math.max(1, Math.round(latencyMs)), call.signal);
    const outputTokens = Math.min(request.outputTokens, call.maxTokens ?? Infinity, arm.maxOutputTokens);
    return { text: 'ok', finishReason: 'stop', usage: { inputTokens: request.inputTokens, outputTokens }, model: arm.model ?? arm.id };
  }
}

/** The value parameters of a scenario class (declared, else the objective's preset). */
export function classValue(c: Scenario['workload']['classes'][number]): ValueParams {
  return resolveValue(c.objective, { valueUsd: c.valueUsd, latencyUsdPerSecond: c.latencyUsdPerSecond });
}

/** P(acceptable | ok) of arm i for a class now: it passes the checks and is acceptable. */
function acceptableRate(scenario: Scenario, world: World, i: number, className: string, t: number): number {
  const arm = scenario.arms[i];
  return (1 - arm.checkFailureRate) * classQuality(arm, armStateAt(arm, world.timelines[i], t), className);
}

/** The oracle's view: the arm's true expected behaviour now, for this request's actual size, class and prompt. */
function oracleTruth(scenario: Scenario, world: World, clock: EventClock, providers: SimProviders, arms: readonly ArmConfig[]) {
  const index = new Map(arms.map((a, i) => [a.id, i]));
  return (arm: ArmConfig, _now: number, request: RouteRequest): OracleTruth => {
    const i = index.get(arm.id)!;
    const sa = scenario.arms[i];
    const t = clock.now() - T0;
    const s = armStateAt(sa, world.timelines[i], t);
    const req = world.requests[Number(request.id)];
    const limited = providers.tokensAvailable(i) < 1;
    // A content-policy block is a property of the prompt (the same prompt is blocked by the same
    // arm every time), so the oracle knows whether this one is; answer quality stays a rate.
    const rewritten = request.messages[0]?.content === SANITIZED;
    const blocked = req.uPolicy < sa.contentPolicyRate * (rewritten ? sa.contentPolicyAfterRewrite : 1);
    return {
      successRate: s.down || blocked ? 0 : (1 - s.failureRate) * (limited ? 0.05 : 1),
      quality: acceptableRate(scenario, world, i, request.class, t),
      latencyMedianMs: sa.latency.medianMs * s.latencyMultiplier,
      latencySigma: Math.max(1e-3, sigmaOf(sa.latency.medianMs, sa.latency.p95Ms)),
      ...(sa.latency.tail ? { tail: sa.latency.tail } : {}),
      expectedCostUsd: costUsd(arm, { inputTokens: req.inputTokens, outputTokens: Math.min(req.outputTokens, request.params.maxTokens ?? Infinity, arm.maxOutputTokens) }),
    };
  };
}

/** A selector with a posterior: the arm it would pick on its posterior means (no random draws). */
export type PosteriorSelector = ArmSelector & { posteriorMeanChoice(request: RouteRequest, eligible: readonly ArmConfig[]): string | undefined };

/** The Thompson selector as a PosteriorSelector (its posterior-mean choice lives in the testing entry point). */
export function withPosteriorMean(thompson: ThompsonSelector): PosteriorSelector {
  return {
    name: thompson.name,
    select: (ctx, eligible) => thompson.select(ctx, eligible),
    posteriorMeanChoice: (request, eligible) => posteriorMeanChoice(thompson, request, eligible),
  };
}

/**
 * The selector, counting its first-attempt decisions that did not pick the arm with the highest
 * expected net value at the posterior means: what it spends on exploration (Thompson draws and the
 * exploration floor alike), over the run and in stationary stretches (`stationary(ms since the
 * run's start)`). Asking draws no random numbers, so decisions are unchanged.
 */
export function countingExploration(selector: PosteriorSelector, counts: Exploration, stationary: (t: number) => boolean, clock: { now(): number }): ArmSelector {
  return {
    name: selector.name,
    select(ctx, eligible) {
      const exploit = ctx.tried.length === 0 && eligible.length > 1 ? selector.posteriorMeanChoice(ctx.request, eligible) : undefined;
      const decision = selector.select(ctx, eligible);
      if (ctx.tried.length === 0) {
        const explored = exploit !== undefined && decision.chosen.id !== exploit;
        counts.decisions++;
        if (explored) counts.explored++;
        if (decision.exploration) counts.flagged++;
        if (stationary(clock.now() - T0)) {
          counts.stationaryDecisions++;
          if (explored) counts.stationaryExplored++;
        }
      }
      return decision;
    },
  };
}

/**
 * The priced oracle's refusal: an arm whose true expected net value at the current price of a
 * dollar is not positive is excluded as a budget exclusion, so a request no arm is worth serving at
 * that price fails as `budget_exceeded` (the router's classification), keeping the money for
 * requests worth more per dollar. Scored by the oracle itself, on that one arm.
 */
function pricedOut(oracle: OracleSelector, price: OraclePrice, clock: EventClock): EligibilityRule {
  return (arm, ctx) => {
    const weight = price(ctx.request.tenant, ctx.now);
    if (weight <= 1) return undefined;
    const utility = oracle.select({ request: ctx.request, tried: [...ctx.tried], clock }, [arm]).candidates[0].utility ?? 0;
    return utility > 0 ? undefined : `${BUDGET_EXCLUSION_PREFIX} priced out: no positive net value at ${weight.toFixed(3)}× cost`;
  };
}

/** What-if knobs for the switchyard policy (ThompsonSelector options); defaults are the core's. */
export type ThompsonOverrides = Partial<Pick<ThompsonOptions, 'explorationRate' | 'explorationHorizonMs' | 'discount' | 'qualityDiscount' | 'stalenessDecayPerMinute' | 'stalenessGraceMs' | 'classWarmStartCap' | 'maxClassesPerArm'>>;

export async function runPolicy(scenario: Scenario, world: World, spec: RunSpec, thompsonOverrides: ThompsonOverrides = {}, options: RunOptions = {}): Promise<RunResult> {
  const wallStart = performance.now();
  const clock = new EventClock(T0);
  const policy: PolicyName = typeof spec === 'string' ? spec : 'best-fixed-arm';
  const all = armConfigs(scenario);
  const byId = new Map(all.map((a) => [a.id, a]));
  // best-fixed-arm: the static chain with one arm first (the others stay as its fallbacks).
  const chain = staticChain(scenario);
  const order = typeof spec === 'string' ? chain : [all[spec.fixedArm].id, ...chain.filter((id) => id !== all[spec.fixedArm].id)];
  // The routing table over time: arms joining or leaving reach every policy, the oracle included,
  // through the same reload a running router makes.
  const membership = membershipEvents(scenario);
  const present = new Set(all.filter((a) => !membership.some((e) => e.type === 'arm-added' && e.arm === a.id)).map((a) => a.id));
  const tableArms = () => order.filter((id) => present.has(id)).map((id) => byId.get(id)!);
  const arms = tableArms();
  const providers = new SimProviders(scenario, world, clock);
  const policySeed = mix(world.seed, POLICIES.indexOf(policy), typeof spec === 'string' ? 0x5e1 : 0x5e1 + spec.fixedArm);
  const classes = scenario.workload.classes;
  const values = classes.map(classValue);
  const valueByClass = new Map(classes.map((c, k) => [c.name, values[k]]));
  const budget = scenario.budget && options.hardCaps !== false ? new BudgetGuard({ store: new InMemoryBudgetStore(), clock, caps: scenario.budget }) : undefined;
  const spendByWindow = new Map<string, number>();
  const capOf = new Map<string, number>();
  const tenantOf = tenantOfClass(scenario);
  const spendSink: OutcomeSink = {
    record: (o: AttemptOutcome, requestClass: string) => {
      if (o.costUsd <= 0) return;
      // Charged to the window the attempt started in, where the router reserved it (its ledger): an
      // attempt that straddles a window's end spends the window it was admitted under.
      for (const line of capLines(scenario, tenantOf.get(requestClass) ?? 'default', o.startedAt)) {
        spendByWindow.set(line.key, (spendByWindow.get(line.key) ?? 0) + o.costUsd);
        capOf.set(line.key, line.capUsd);
      }
    },
  };
  let selector: ArmSelector;
  const sinks: OutcomeSink[] = [spendSink];
  let resilience: ResilienceOverrides = BENCH_RESILIENCE;
  let thompson: ThompsonSelector | undefined;
  let exploration: Exploration | undefined;
  let eligibilityRules: readonly EligibilityRule[] | undefined;
  switch (policy) {
    case 'switchyard':
      thompson = new ThompsonSelector({
        clock,
        random: new SeededRandom(policySeed),
        arms,
        classValues: Object.fromEntries(classes.map((c) => [c.name, { valueUsd: c.valueUsd, latencyUsdPerSecond: c.latencyUsdPerSecond }])),
        costWeight: budget ? (t) => budget.costWeight(t) : undefined,
        // The router's breakers (it is built below): a half-open arm gets its probe.
        halfOpen: (arm) => router.breakers.halfOpen(arm),
        ...thompsonOverrides,
      });
      exploration = { decisions: 0, explored: 0, flagged: 0, stationaryDecisions: 0, stationaryExplored: 0 };
      selector = countingExploration(withPosteriorMean(thompson), exploration, stationaryAt(eventTimes(scenario, world)), clock);
      sinks.push(thompson);
      break;
    case 'static-chain':
    case 'best-fixed-arm':
      selector = new OrderedSelector();
      break;
    case 'simple-retry':
      selector = new OrderedSelector();
      resilience = SIMPLE_RETRY_RESILIENCE;
      break;
    case 'round-robin':
      selector = new RoundRobinSelector();
      break;
    case 'latency-cooldown': {
      const latency = new LatencySelector({ clock });
      selector = latency;
      sinks.push(latency);
      break;
    }
    case 'oracle': {
      const price = options.oraclePrice;
      const costWeight = price ? (t: string) => price(t, clock.now()) : budget ? (t: string) => budget.costWeight(t) : undefined;
      const oracle = new OracleSelector(oracleTruth(scenario, world, clock, providers, all), clock, (r) => valueByClass.get(r.class) ?? resolveValue(r.routing.objective), costWeight);
      selector = oracle;
      if (price) eligibilityRules = [...DEFAULT_RULES, pricedOut(oracle, price, clock)];
      break;
    }
  }
  const router = new Router({
    arms,
    providers,
    selector,
    clock,
    outcomeSinks: sinks,
    resilience: options.breaker ? { ...resilience, breaker: { ...resilience.breaker, ...options.breaker } } : resilience,
    random: new SeededRandom(mix(policySeed, 0x7e7)),
    budget,
    latency: thompson,
    ...(eligibilityRules ? { eligibilityRules } : {}),
  });
  const holders: ArmStateHolder[] = [router.breakers];
  if (thompson) holders.push(thompson);
  if (selector instanceof LatencySelector) holders.push(selector);
  for (const e of membership) {
    const req = world.requests[e.atRequest];
    if (!req) continue;
    // Scheduled before the requests, so it fires before request `atRequest` at the same instant.
    clock.schedule(T0 + req.at, () => {
      if (e.type === 'arm-added') present.add(e.arm);
      else present.delete(e.arm);
      reloadArms(router, tableArms(), holders);
    });
  }
  // Price changes are published to the routing table (the router sees new prices at once).
  world.timelines.forEach((tl, i) => {
    const arm = byId.get(scenario.arms[i].id)!;
    for (const p of tl.prices) clock.schedule(T0 + p.at, () => (arm.pricing = { inputPer1M: p.inputPer1M, outputPer1M: p.outputPer1M }));
  });
  const refCost = refCosts(scenario);
  const armIndexInScenario = new Map(scenario.arms.map((a, i) => [a.id, i]));
  const { costWeight: lc, latencyWeight: ll } = scenario.utility;
  const records: RequestRecord[] = new Array(world.requests.length);
  const first = arms[0].id;
  for (const req of world.requests) {
    clock.schedule(T0 + req.at, () => {
      const c = classes[req.classIndex];
      const request: RouteRequest = {
        id: String(req.index),
        tenant: c.tenant,
        class: c.name,
        messages: promptOf(req.inputTokens),
        params: { maxTokens: c.maxTokens },
        routing: {
          objective: c.objective,
          latencySloMs: c.sloMs,
          deadlineMs: c.deadlineMs,
          ...(policy === 'simple-retry' ? { models: [first], contentPolicyFallback: false } : c.contentPolicyFallback !== undefined ? { contentPolicyFallback: c.contentPolicyFallback } : {}),
        },
      };
      void router.route(request).then((result) => {
        providers.forget(req.index);
        const ok = result.status === 'ok' && !result.degraded;
        // Arm indices are the scenario's (best-fixed-arm reorders the router's arm list).
        const servedArm = result.servedBy ? armIndexInScenario.get(result.servedBy.arm)! : -1;
        const firstAttempt = result.attempts[0];
        const judgement = servedArm >= 0 ? judgeAnswer(scenario, world, req, servedArm, clock.now() - T0) : { passedChecks: false, acceptable: false };
        const success = ok && judgement.acceptable && result.latencyMs <= c.sloMs;
        const cost = result.usage.costUsd;
        if (ok && servedArm >= 0 && thompson) observeQuality(thompson, scenario.arms[servedArm].id, c.name, req, judgement);
        records[req.index] = {
          index: req.index,
          at: req.at,
          ok,
          success,
          latencyMs: result.latencyMs,
          costUsd: cost,
          firstArm: firstAttempt ? armIndexInScenario.get(firstAttempt.arm)! : -1,
          servedArm,
          utility: (success ? 1 : 0) - (lc * cost) / refCost[req.classIndex] - (ll * result.latencyMs) / c.sloMs,
          netValue: realisedNetValue({ good: success, costUsd: cost, latencyMs: result.latencyMs }, values[req.classIndex]),
          ...(ok ? {} : { failure: result.error?.kind ?? 'failed' }),
        };
      });
    });
  }
  // What the router learns of answer quality: the checks on every answer at once, feedback on a
  // share of the answers that passed, after the scenario's delay, flipped with its noise.
  function observeQuality(learner: ThompsonSelector, arm: string, requestClass: string, req: World['requests'][number], judgement: AnswerJudgement): void {
    learner.recordQuality({ arm, requestClass, score: judgement.passedChecks ? 1 : 0, kind: 'check', source: FEEDBACK_SOURCE, id: `${req.index}:check` });
    const feedback = feedbackOn(scenario, req, judgement);
    if (!feedback) return;
    const answeredAt = clock.now();
    clock.schedule(clock.now() + feedback.delayMs, () => learner.recordQuality({ arm, requestClass, score: feedback.score, kind: 'feedback', source: FEEDBACK_SOURCE, id: `${req.index}:feedback`, answeredAt }));
  }
  await clock.run();
  const missing = records.length - records.filter(Boolean).length;
  if (missing) throw new Error(`${policy} seed ${world.seed}: ${missing} requests never finished`);
  let overshoot = 0;
  for (const [key, spent] of spendByWindow) {
    const cap = capOf.get(key);
    if (cap !== undefined) overshoot = Math.max(overshoot, ((spent - cap) / cap) * 100);
  }
  return { policy: typeof spec === 'string' ? spec : `fixed:${scenario.arms[spec.fixedArm].id}`, seed: world.seed, records, spendByWindow, capByLine: capOf, budgetOvershootPct: Math.max(0, overshoot), wallMs: performance.now() - wallStart, ...(exploration ? { exploration } : {}) };
}

