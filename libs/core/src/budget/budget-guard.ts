import { traitsOf } from '../errors/error-kind';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import { costUsd, type ArmConfig } from '../routing/arm';
import type { CandidateScore, ExcludedArm } from '../routing/arm-selector';
import type { EligibilityContext, EligibilityRule } from '../routing/eligibility';
import type { RouteRequest } from '../routing/route-request';
import { estimatePromptTokens } from '../routing/token-estimate';
import { formatUsd } from '../policy/format';
import type { BudgetLine, BudgetStore, LineUsage } from './budget-store';
import { BUDGET_WINDOWS, windowId, type BudgetWindow } from './budget-window';
import { pacingWeight, type PacingOptions } from './pacer';
import { CheapestDemand } from './cheapest-demand';
import { InFlightReservations } from './in-flight-reservations';
import { WindowPacer, type WindowPacerOptions } from './window-pacer';

export type CapsPerWindow = Partial<Record<BudgetWindow, number>>;

/** USD caps per window, globally and per tenant. A window without a cap is unlimited. */
export interface BudgetCaps {
  global?: CapsPerWindow;
  tenants?: Readonly<Record<string, CapsPerWindow>>;
  /** Caps for every tenant not listed in `tenants`. */
  defaultTenant?: CapsPerWindow;
}

export interface BudgetGuardOptions {
  store: BudgetStore;
  clock: Clock;
  caps: BudgetCaps;
  /** The near-cap weight, used only with `windowPacing: false`. */
  pacing?: PacingOptions;
  /** The price per dollar of each cap, learned over its window (window-pacer.ts); `false` keeps only the near-cap weight. */
  windowPacing?: WindowPacerOptions | false;
}

/** A cap applying to a request, with the words an operator reads in an exclusion reason. */
interface ScopedLine extends BudgetLine {
  scope: string;
  window: BudgetWindow;
  cacheKey: string;
  /** The cap across its window instances (scope and window kind): the pacer's key. */
  capKey: string;
}

export type BudgetReservation = { ok: true; reservationId?: string; amountUsd: number; tenant: string };
export type BudgetRefusal = { ok: false; reason: string };

/** Exclusion reasons written by the budget rule start with this (the router maps them to budget_exceeded). */
export const BUDGET_EXCLUSION_PREFIX = 'budget:';

/** True when every arm was excluded by a budget cap: the request should fail as `budget_exceeded`. */
export function excludedByBudget(excluded: readonly ExcludedArm[]): boolean {
  return excluded.length > 0 && excluded.every((e) => e.reason.startsWith(BUDGET_EXCLUSION_PREFIX));
}

/**
 * Keeps spend under the caps: reserve the most a call can cost before it starts (all caps or
 * none), settle to the real cost after, release on failure. It also keeps a local view of what
 * each cap has used, from every store answer, so the eligibility rule and the pacer read it
 * synchronously inside a decision (call `refresh` periodically when other replicas share the store).
 */
export class BudgetGuard {
  private readonly used = new Map<string, number>();
  /** Changes whenever `used` does: lets the eligibility rule keep what it derived from it. */
  private usedVersion = 0;
  /** Lines per tenant for the current minute: window ids change at most once a minute. */
  private readonly lineCache = new Map<string, { minute: number; lines: ScopedLine[] }>();
  private readonly pacer?: WindowPacer;
  private readonly demand: CheapestDemand;
  private readonly inFlight = new InFlightReservations();

  constructor(private readonly options: BudgetGuardOptions) {
    if (options.windowPacing !== false) this.pacer = new WindowPacer(options.clock, options.windowPacing);
    this.demand = new CheapestDemand(options.clock, options.windowPacing === false ? undefined : options.windowPacing?.responseShare);
  }

  /** The most `request` can cost on `arm`: the prompt estimate plus every output token it may produce. */
  maxCostUsd(arm: ArmConfig, request: RouteRequest, promptTokens = estimatePromptTokens(request.messages)): number {
    const outputTokens = Math.min(request.params.maxTokens ?? arm.maxOutputTokens, arm.maxOutputTokens);
    return costUsd(arm, { inputTokens: promptTokens, outputTokens });
  }

  async reserve(request: RouteRequest, arm: ArmConfig, promptTokens?: number): Promise<BudgetReservation | BudgetRefusal> {
    const amountUsd = this.maxCostUsd(arm, request, promptTokens);
    const lines = this.linesFor(request.tenant);
    if (lines.length === 0) return { ok: true, amountUsd, tenant: request.tenant };
    const result = await this.options.store.reserve(amountUsd, lines);
    // A store that cannot answer refuses (fail-closed) without telling us real usage: keep the
    // last known view instead of marking every cap as spent.
    if (!result.ok && result.unavailable) return { ok: false, reason: `${BUDGET_EXCLUSION_PREFIX} ${result.reason ?? 'budget store unavailable'}` };
    this.remember(result.lines);
    if (result.ok) {
      this.inFlight.hold(result.reservationId, amountUsd, lines.map((line) => line.cacheKey));
      return { ok: true, reservationId: result.reservationId, amountUsd, tenant: request.tenant };
    }
    const line = lines[result.blockedBy];
    const left = Math.max(0, line.capUsd - result.lines[result.blockedBy].usedUsd);
    return { ok: false, reason: `${describe(line, left)}; this call may cost up to ${formatUsd(amountUsd)}` };
  }

  async settle(reservation: BudgetReservation, actualUsd: number): Promise<void> {
    if (!reservation.reservationId) return;
    const lines = await this.options.store.settle(reservation.reservationId, actualUsd);
    this.inFlight.land(reservation.reservationId);
    this.remember(lines);
  }

  async release(reservation: BudgetReservation): Promise<void> {
    if (!reservation.reservationId) return;
    const lines = await this.options.store.release(reservation.reservationId);
    this.inFlight.land(reservation.reservationId);
    this.remember(lines);
  }

  /** Tenants this guard has checked recently (for periodic `refresh` when replicas share a store). */
  recentTenants(): string[] {
    return [...this.lineCache.keys()];
  }

  /** Pulls current usage for these tenants (and the global caps) from the store. */
  async refresh(tenants: readonly string[]): Promise<void> {
    const lines = new Map<string, BudgetLine>();
    for (const tenant of tenants) for (const line of this.linesFor(tenant)) lines.set(cacheKey(line), line);
    if (lines.size) this.remember(await this.options.store.usage([...lines.values()]));
  }

  /**
   * Excludes arms whose maximum cost does not fit what is left under some cap, with a reason like
   * `budget: $0.0042 left of $5.00 (tenant acme, hour)`.
   */
  eligibilityRule(): EligibilityRule {
    // checkEligibility asks once per arm with the same context: the caps that apply and what is
    // left under each are looked up once per context (again if the usage view changed meanwhile),
    // not once per arm.
    let memo: { ctx: EligibilityContext; tenant: string; now: number; version: number; lines: ScopedLine[]; left: number[] } | undefined;
    return (arm, ctx) => {
      const tenant = ctx.request.tenant;
      if (memo?.ctx !== ctx || memo.tenant !== tenant || memo.now !== ctx.now || memo.version !== this.usedVersion) {
        const lines = this.linesFor(tenant, ctx.now);
        memo = { ctx, tenant, now: ctx.now, version: this.usedVersion, lines, left: lines.map((line) => line.capUsd - this.usedOf(line)) };
      }
      const { lines, left } = memo;
      if (lines.length === 0) return undefined;
      const maxCost = this.maxCostUsd(arm, ctx.request, ctx.promptTokens);
      for (let i = 0; i < lines.length; i++) {
        if (maxCost > left[i]) return describe(lines[i], Math.max(0, left[i]));
      }
      return undefined;
    };
  }

  /**
   * The price of a dollar for `tenant` now, 1 + Σλ over the caps that apply (each cap's λ from
   * its WindowPacer, updated here): the selector weighs cost by it, so each request goes to the arm
   * maximising value − (1 + Σλ)·cost, as in the Lagrangian of a knapsack with one constraint per
   * cap. With `windowPacing: false`, the highest near-cap weight instead (1 … 5 as a cap is spent).
   */
  costWeight(tenant: string): number {
    const lines = this.linesFor(tenant);
    let weight = 1;
    for (const line of lines) {
      const used = this.usedOf(line);
      if (this.pacer) weight += this.pacer.lambda(line.capKey, line.window, used, line.capUsd, this.inFlight.of(line.cacheKey));
      else weight = Math.max(weight, pacingWeight(used, line.capUsd, this.options.pacing));
    }
    return weight;
  }

  /**
   * Why a first decision is refused for budget although arms fit its caps, or undefined. Refused
   * ("priced out") only when all three hold: the price of a dollar is above 1; no scored candidate
   * has a positive expected net value at that price (every `utility` ≤ 0); and some cap that
   * applies would be spent within the next 5% of its window (the pacer's response time) even with every request on its
   * cheapest arm (CheapestDemand), so some requests must go unserved and these are worth least per
   * dollar. Otherwise nothing is priced out: traffic moves to cheaper arms instead. Called
   * once per first decision: it also counts the request's cheapest expected cost for that estimate.
   */
  pricedOut(tenant: string, candidates: readonly CandidateScore[]): string | undefined {
    const lines = this.linesFor(tenant);
    if (lines.length === 0) return undefined;
    let cheapest = Infinity;
    for (const c of candidates) if (c.expectedCostUsd !== undefined && c.expectedCostUsd < cheapest) cheapest = c.expectedCostUsd;
    if (Number.isFinite(cheapest)) for (const line of lines) this.demand.add(line.capKey, line.window, cheapest);
    const weight = this.currentWeight(tenant);
    if (weight <= 1) return undefined;
    let scored = false;
    for (const c of candidates) {
      if (c.utility === undefined || !Number.isFinite(c.utility)) continue;
      if (c.utility > 0) return undefined;
      scored = true;
    }
    if (!scored) return undefined;
    const short = lines.find((line) => this.demand.exceeds(line.capKey, line.window, line.capUsd - this.usedOf(line)));
    if (!short) return undefined;
    return `${BUDGET_EXCLUSION_PREFIX} priced out: no arm's expected net value is positive at ${weight.toFixed(2)}× cost, and ${formatUsd(Math.max(0, short.capUsd - this.usedOf(short)))} left of ${formatUsd(short.capUsd)} (${short.scope}, ${short.window}) would be spent within minutes even with every request on its cheapest arm`;
  }

  /** The price of a dollar as last updated by costWeight (no update). */
  private currentWeight(tenant: string): number {
    let weight = 1;
    for (const line of this.linesFor(tenant)) weight = this.pacer ? weight + this.pacer.current(line.capKey) : Math.max(weight, pacingWeight(this.usedOf(line), line.capUsd, this.options.pacing));
    return weight;
  }

  /** Headroom per cap for /health/routing. */
  headroom(tenant?: string): Array<LineUsage & { scope: string; window: BudgetWindow; remainingUsd: number; costWeight: number }> {
    const lines = tenant === undefined ? this.globalLines(this.options.clock.now()) : this.linesFor(tenant);
    return lines.map((line) => {
      const usedUsd = this.usedOf(line);
      // This cap's share of the price of a dollar: 1 + its λ (or its near-cap weight without window pacing).
      const costWeight = this.pacer ? 1 + this.pacer.current(line.capKey) : pacingWeight(usedUsd, line.capUsd, this.options.pacing);
      return { key: line.key, windowId: line.windowId, capUsd: line.capUsd, usedUsd, scope: line.scope, window: line.window, remainingUsd: Math.max(0, line.capUsd - usedUsd), costWeight };
    });
  }

  private linesFor(tenant: string, now = this.options.clock.now()): ScopedLine[] {
    const minute = Math.floor(now / 60_000);
    const cached = this.lineCache.get(tenant);
    if (cached?.minute === minute) return cached.lines;
    const caps = this.options.caps.tenants?.[tenant] ?? this.options.caps.defaultTenant;
    const lines: ScopedLine[] = [];
    for (const window of BUDGET_WINDOWS) {
      const cap = caps?.[window];
      if (cap !== undefined) lines.push(scoped(`tenant:${tenant}`, window, now, cap, `tenant ${tenant}`));
    }
    lines.push(...this.globalLines(now));
    if (this.lineCache.size >= 10_000) this.lineCache.clear();
    this.lineCache.set(tenant, { minute, lines });
    return lines;
  }

  private globalLines(now: number): ScopedLine[] {
    const caps = this.options.caps.global;
    return BUDGET_WINDOWS.filter((w) => caps?.[w] !== undefined).map((window) => scoped('global', window, now, caps?.[window] as number, 'global'));
  }

  private usedOf(line: ScopedLine): number {
    return this.used.get(line.cacheKey) ?? 0;
  }

  private remember(lines: readonly LineUsage[]): void {
    for (const line of lines) this.used.set(cacheKey(line), line.usedUsd);
    this.usedVersion++;
  }
}

function describe(line: ScopedLine, leftUsd: number): string {
  return `${BUDGET_EXCLUSION_PREFIX} ${formatUsd(leftUsd)} left of ${formatUsd(line.capUsd)} (${line.scope}, ${line.window})`;
}

function scoped(key: string, window: BudgetWindow, now: number, capUsd: number, scope: string): ScopedLine {
  const line = { key, windowId: windowId(window, now), capUsd };
  return { ...line, scope, window, cacheKey: cacheKey(line), capKey: `${key}\u0000${window}` };
}

function cacheKey(line: BudgetLine): string {
  return `${line.key}\u0000${line.windowId}`;
}

/**
 * The attempt outcome to record when a reservation is refused at call time (another request
 * took the headroom between eligibility and reserve): no provider call, no cost, not the arm's fault.
 */
export function budgetExceededOutcome(arm: ArmConfig, attempt: number, at: number, reason: string): AttemptOutcome {
  return {
    arm: arm.id,
    attempt,
    kind: 'budget_exceeded',
    ...traitsOf('budget_exceeded'),
    startedAt: at,
    latencyMs: 0,
    costUsd: 0,
    usage: { inputTokens: 0, outputTokens: 0 },
    message: reason,
  };
}
