import type { Clock } from '../ports/clock';
import { windowBounds, type BudgetWindow } from './budget-window';

export interface WindowPacerOptions {
  /** Growth of the multiplier per second per unit of overspend (share of the cap ahead of pace); default 0.5. */
  gain?: number;
  /** Highest multiplier added to the cost weight; default 20. */
  maxLambda?: number;
}

/**
 * Spreads a budget over its window (an online primal–dual pacer, as in ParetoBandit): the
 * Lagrange multiplier λ on cost grows while spend runs ahead of the even pace (used/cap above the
 * share of the window elapsed) and shrinks back towards 0 while it runs behind. The selector
 * weighs cost by 1 + λ, so a tight cap moves traffic to cheaper arms from the start of the window,
 * not only near the cap, and the budget lasts the window.
 */
export class WindowPacer {
  private readonly lambdas = new Map<string, { lambda: number; at: number }>();
  private readonly gain: number;
  private readonly maxLambda: number;

  constructor(
    private readonly clock: Clock,
    options: WindowPacerOptions = {},
  ) {
    this.gain = options.gain ?? 0.5;
    this.maxLambda = options.maxLambda ?? 20;
  }

  /** The current multiplier of a line, without updating it (0 when the line has not been paced yet). */
  current(key: string): number {
    return this.lambdas.get(key)?.lambda ?? 0;
  }

  /** The multiplier for one cap line (`key` names the line and its window id). */
  lambda(key: string, window: BudgetWindow, usedUsd: number, capUsd: number): number {
    const now = this.clock.now();
    const state = this.lambdas.get(key) ?? { lambda: 0, at: now };
    const { start, end } = windowBounds(window, now);
    const pace = (now - start) / (end - start);
    const error = usedUsd / capUsd - pace;
    // Integral control on the pace error, per second of (virtual or real) time since the last update.
    const dt = Math.min(60, Math.max(0, (now - state.at) / 1000));
    state.lambda = Math.min(this.maxLambda, Math.max(0, state.lambda + this.gain * error * dt));
    state.at = now;
    if (!this.lambdas.has(key)) {
      if (this.lambdas.size >= 10_000) this.lambdas.clear();
      this.lambdas.set(key, state);
    }
    return state.lambda;
  }
}
