import type { Clock } from '../ports/clock';
import { windowBounds, type BudgetWindow } from './budget-window';

export interface WindowPacerOptions {
  /**
   * How fast the price follows the plan, as a share of the cap's window (default 0.05: 3 minutes of
   * an hour, 3 s of a minute): spending at twice the planned rate for this long raises 1 + λ by a
   * factor e, spending nothing for this long lowers it by the same factor.
   */
  responseShare?: number;
  /** Highest λ (default 1,000): at that price a dollar of budget is worth a thousand of value. */
  maxLambda?: number;
  /**
   * Largest change of ln(1 + λ) in one update (default 0.5), so one large reservation against a
   * nearly spent plan does not set the price on its own.
   */
  maxStep?: number;
  /**
   * Share of the cap the plan keeps for the end of the window (default 0.01), or what calls in
   * flight have reserved if more: reaching the cap exactly at the end would leave the last requests
   * less than a call's maximum cost, held by reservations of calls that will cost less, and refuse
   * them. Once only the reserve is left the price holds where it is.
   */
  reserveShare?: number;
}

interface LineState {
  /** Start of the window instance the state tracks (ms). */
  start: number;
  /** ln(1 + λ): the price moves multiplicatively, so it reaches a high price as fast as a low one. */
  mu: number;
  at: number;
  usedUsd: number;
  /** When the pacer first saw this cap: a new cap responds faster while it has no history. */
  since: number;
  /** ∫ mu dt over the window instance so far and the time it covers (ms): the next instance's starting price. */
  muTime: number;
  span: number;
}

/**
 * The price of a dollar of one cap (a knapsack's Lagrange multiplier λ, learned online by dual
 * descent as in ParetoBandit and Balseiro–Lu–Mirrokni's dual mirror descent): the selector weighs
 * cost by 1 + λ. The plan is to spend what is left of the cap (less a small reserve for the last
 * requests) evenly over what is left of its window, re-planned at every update, so a cap set mid-window, a burst or an early overspend only
 * changes the rate of the rest of the window and the cap is reached at its end, not early. λ rises
 * while spend runs ahead of that rate and falls while it runs behind (and keeps rising while the cap
 * is spent). A new window instance of the same cap starts from the mean price of the last one
 * (its traffic is most likely the same; its end, when little is left, is no guide), measuring its
 * spend from the window's start.
 */
export class WindowPacer {
  private readonly states = new Map<string, LineState>();
  private readonly responseShare: number;
  private readonly maxMu: number;
  private readonly maxStep: number;
  private readonly reserveShare: number;

  constructor(
    private readonly clock: Clock,
    options: WindowPacerOptions = {},
  ) {
    this.responseShare = options.responseShare ?? 0.05;
    this.maxMu = Math.log1p(Math.max(0, options.maxLambda ?? 1_000));
    this.maxStep = options.maxStep ?? 0.5;
    this.reserveShare = options.reserveShare ?? 0.01;
  }

  /** The current λ of a cap (0 when it has not been paced yet), without updating it. */
  current(cap: string): number {
    return Math.expm1(this.states.get(cap)?.mu ?? 0);
  }

  /**
   * Updates and returns λ of one cap. `cap` names the cap across its window instances (scope and
   * window kind, not the window id); `usedUsd` is what the current instance has used (reserved and
   * settled), `capUsd` its cap, `inFlightUsd` what calls in flight have reserved of it.
   */
  lambda(cap: string, window: BudgetWindow, usedUsd: number, capUsd: number, inFlightUsd = 0): number {
    const now = this.clock.now();
    const { start, end } = windowBounds(window, now);
    let state = this.states.get(cap);
    if (!state) {
      // First seen now, maybe mid-window (a restart, a new cap): the plan starts from here.
      if (this.states.size >= 10_000) this.states.clear();
      state = { start, mu: 0, at: now, usedUsd, muTime: 0, span: 0, since: now };
      this.states.set(cap, state);
      return 0;
    }
    if (state.start !== start) {
      // A new window instance: its spend so far happened since its start; the mean price carries over.
      this.integrate(state, start);
      if (state.span > 0) state.mu = state.muTime / state.span;
      state.start = start;
      state.at = start;
      state.usedUsd = 0;
      state.muTime = 0;
      state.span = 0;
    }
    const left = capUsd - Math.max(capUsd * this.reserveShare, inFlightUsd) - state.usedUsd;
    const dtS = Math.max(0, now - state.at) / 1000;
    // The rate that spends what was left at the last update (less the reserve) by the window's end.
    const planRate = left / Math.max(1e-3, (end - state.at) / 1000);
    // A cap seen for the first time has no price yet and its traffic may run far ahead of the plan
    // at a price of 1: it responds within the time it has been seen (a 1/t step, as in stochastic
    // approximation; at least a twentieth of the full response time) until it has that much history.
    const fullS = (this.responseShare * (end - start)) / 1000;
    const responseS = Math.max(fullS / 20, Math.min(fullS, (now - state.since) / 1000));
    // Into the reserve, the price holds; with the cap spent it rises as fast as it may (not at once
    // to the top: a settlement below the reservation may give headroom back a moment later).
    const step = left > 0 ? (usedUsd - state.usedUsd - planRate * dtS) / (planRate * responseS) : usedUsd >= capUsd ? this.maxStep : 0;
    this.integrate(state, now);
    state.mu = Math.min(this.maxMu, Math.max(0, state.mu + Math.min(this.maxStep, Math.max(-this.maxStep, step))));
    state.at = now;
    state.usedUsd = usedUsd;
    return Math.expm1(state.mu);
  }

  private integrate(state: LineState, until: number): void {
    const dt = Math.max(0, until - state.at);
    state.muTime += state.mu * dt;
    state.span += dt;
  }
}
