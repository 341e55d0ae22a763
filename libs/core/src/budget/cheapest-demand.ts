import type { Clock } from '../ports/clock';
import { windowBounds, type BudgetWindow } from './budget-window';

/**
 * What a cap's traffic would spend per second if every request went to its cheapest eligible arm
 * (an exponentially weighted rate over a share of the cap's window, from the expected cost of the
 * cheapest candidate of each first decision). A cap that can carry the rest of its window's traffic
 * on the cheapest arms needs no refusal: traffic moves down instead. Only a cap about to be spent
 * even so is allowed to refuse requests for their value per dollar (BudgetGuard.pricedOut).
 */
export class CheapestDemand {
  private readonly rates = new Map<string, { rate: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    /** Time constant of the rate, as a share of the cap's window (default 0.05, as the pacer's response). */
    private readonly share = 0.05,
  ) {}

  /** Counts one request whose cheapest eligible arm is expected to cost `costUsd`. */
  add(cap: string, window: BudgetWindow, costUsd: number): void {
    const state = this.decayed(cap, window);
    state.rate += costUsd / this.tauS(window);
  }

  /** The cheapest-only spend per second (USD/s) of the cap's traffic, as of now. */
  rate(cap: string, window: BudgetWindow): number {
    return this.rates.has(cap) ? this.decayed(cap, window).rate : 0;
  }

  /**
   * True when the cap would be spent within the rate's time constant (or by the window's end if
   * that comes first) even if every request went to its cheapest arm: the rate is forecast only as
   * far ahead as its own memory reaches, since a burst, a busy hour or traffic that stops may not
   * last the rest of the window.
   */
  exceeds(cap: string, window: BudgetWindow, leftUsd: number): boolean {
    const { end } = windowBounds(window, this.clock.now());
    const horizonS = Math.min((end - this.clock.now()) / 1000, this.tauS(window));
    return this.rate(cap, window) * horizonS > leftUsd;
  }

  private decayed(cap: string, window: BudgetWindow): { rate: number; at: number } {
    const now = this.clock.now();
    let state = this.rates.get(cap);
    if (!state) {
      if (this.rates.size >= 10_000) this.rates.clear();
      state = { rate: 0, at: now };
      this.rates.set(cap, state);
    }
    state.rate *= Math.exp(-Math.max(0, now - state.at) / 1000 / this.tauS(window));
    state.at = now;
    return state;
  }

  private tauS(window: BudgetWindow): number {
    const { start, end } = windowBounds(window, this.clock.now());
    return (this.share * (end - start)) / 1000;
  }
}
