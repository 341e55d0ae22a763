/** One cap a reservation must fit under: a budget key (tenant or global) in one time window. */
export interface BudgetLine {
  /** e.g. `tenant:acme` or `global`. */
  key: string;
  /** From `windowId(...)`, e.g. `day:2025-03-01`. */
  windowId: string;
  capUsd: number;
}

/** What a line has used in its window: reserved (in flight) plus settled (spent). */
export interface LineUsage extends BudgetLine {
  usedUsd: number;
}

export type ReserveResult =
  | { ok: true; reservationId: string; /** Least headroom left across the lines, after this reservation. */ remainingUsd: number; lines: LineUsage[] }
  | {
      ok: false;
      /** Index in `lines` of the first cap that could not take the amount. */
      blockedBy: number;
      remainingUsd: number;
      lines: LineUsage[];
      /** Set when the store itself could not answer (fail-closed): nothing is known about usage. */
      unavailable?: boolean;
      reason?: string;
    };

/**
 * Spend accounting shared by every replica (docs/architecture.md "State"). `reserve` is atomic and
 * all-or-nothing across its lines: either every cap takes the amount or none does, so concurrent
 * reservations can never push any line past its cap. A reservation is later settled to what the
 * call really cost, or released when the call failed without a charge. The in-memory store serves
 * one instance; a Redis store (one Lua script per operation) serves many, and must pass
 * `budgetStoreContract`.
 */
export interface BudgetStore {
  reserve(amountUsd: number, lines: readonly BudgetLine[]): Promise<ReserveResult>;
  /** Replaces the reserved amount by `actualUsd` on every line. Unknown or finished ids: no-op. */
  settle(reservationId: string, actualUsd: number): Promise<LineUsage[]>;
  /** Returns the reserved amount to every line. Unknown or finished ids: no-op. */
  release(reservationId: string): Promise<LineUsage[]>;
  usage(lines: readonly BudgetLine[]): Promise<LineUsage[]>;
}
