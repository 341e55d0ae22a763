import type { BudgetLine, BudgetStore, LineUsage, ReserveResult } from './budget-store';

/** Tolerance for float sums of many small amounts. */
const EPSILON = 1e-12;

interface Reservation {
  amountUsd: number;
  lines: BudgetLine[];
}

/**
 * BudgetStore for a single instance. Every operation runs to completion synchronously inside the
 * returned promise's executor, so on the one JS thread it is atomic with respect to every other
 * reservation. Windows that have rolled over stay in memory until `prune` drops them.
 */
export class InMemoryBudgetStore implements BudgetStore {
  private readonly used = new Map<string, number>();
  private readonly reservations = new Map<string, Reservation>();
  private sequence = 0;

  reserve(amountUsd: number, lines: readonly BudgetLine[]): Promise<ReserveResult> {
    if (!(amountUsd >= 0)) return Promise.reject(new RangeError(`reservation amount must be ≥ 0, got ${amountUsd}`));
    const blockedBy = lines.findIndex((line) => this.usedOf(line) + amountUsd > line.capUsd + EPSILON);
    if (blockedBy >= 0) return Promise.resolve({ ok: false, blockedBy, remainingUsd: this.remaining(lines), lines: this.snapshot(lines) });
    for (const line of lines) this.add(line, amountUsd);
    const reservationId = `r${++this.sequence}`;
    this.reservations.set(reservationId, { amountUsd, lines: lines.map((l) => ({ ...l })) });
    return Promise.resolve({ ok: true, reservationId, remainingUsd: this.remaining(lines), lines: this.snapshot(lines) });
  }

  settle(reservationId: string, actualUsd: number): Promise<LineUsage[]> {
    const r = this.reservations.get(reservationId);
    if (!r) return Promise.resolve([]);
    this.reservations.delete(reservationId);
    for (const line of r.lines) this.add(line, Math.max(0, actualUsd) - r.amountUsd);
    return Promise.resolve(this.snapshot(r.lines));
  }

  release(reservationId: string): Promise<LineUsage[]> {
    return this.settle(reservationId, 0);
  }

  usage(lines: readonly BudgetLine[]): Promise<LineUsage[]> {
    return Promise.resolve(this.snapshot(lines));
  }

  /** Forgets windows whose id is not in `keep` (call when windows roll over). */
  prune(isCurrent: (windowId: string) => boolean): void {
    for (const k of this.used.keys()) if (!isCurrent(k.slice(k.indexOf('\u0000') + 1))) this.used.delete(k);
  }

  private usedOf(line: BudgetLine): number {
    return this.used.get(keyOf(line)) ?? 0;
  }

  private add(line: BudgetLine, delta: number): void {
    const k = keyOf(line);
    this.used.set(k, Math.max(0, (this.used.get(k) ?? 0) + delta));
  }

  private remaining(lines: readonly BudgetLine[]): number {
    return lines.reduce((min, line) => Math.min(min, line.capUsd - this.usedOf(line)), Infinity);
  }

  private snapshot(lines: readonly BudgetLine[]): LineUsage[] {
    return lines.map((line) => ({ key: line.key, windowId: line.windowId, capUsd: line.capUsd, usedUsd: this.usedOf(line) }));
  }
}

function keyOf(line: BudgetLine): string {
  return `${line.key}\u0000${line.windowId}`;
}
