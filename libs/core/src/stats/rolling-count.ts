import type { Clock } from '../ports/clock';

/**
 * Counts per key over the last `windowMs`, in one-second-ish slots: O(1) per increment, no
 * per-event memory. Used for "selection share over the last minute".
 */
export class RollingCount {
  private readonly slots: number;
  private readonly slotMs: number;
  private readonly counts = new Map<string, Float64Array>();
  private readonly stamps: Float64Array;

  constructor(
    private readonly clock: Clock,
    windowMs = 60_000,
    slots = 60,
  ) {
    this.slots = slots;
    this.slotMs = windowMs / slots;
    this.stamps = new Float64Array(slots).fill(-1);
  }

  increment(key: string): void {
    const slot = this.slotFor(this.clock.now());
    let row = this.counts.get(key);
    if (!row) {
      row = new Float64Array(this.slots);
      this.counts.set(key, row);
    }
    row[slot] += 1;
  }

  /** Count for `key` over the window ending now. */
  get(key: string): number {
    this.slotFor(this.clock.now());
    const row = this.counts.get(key);
    if (!row) return 0;
    let total = 0;
    for (let i = 0; i < this.slots; i++) total += row[i];
    return total;
  }

  total(): number {
    let sum = 0;
    for (const key of this.counts.keys()) sum += this.get(key);
    return sum;
  }

  /** Index of the slot for `now`, clearing slots that last held an older period. */
  private slotFor(now: number): number {
    const period = Math.floor(now / this.slotMs);
    const slot = ((period % this.slots) + this.slots) % this.slots;
    if (this.stamps[slot] !== period) {
      // Lazily clear every slot whose stamp is outside the window.
      for (let i = 0; i < this.slots; i++) {
        if (this.stamps[i] !== -1 && period - this.stamps[i] >= this.slots) this.clearSlot(i);
      }
      this.clearSlot(slot);
      this.stamps[slot] = period;
    }
    return slot;
  }

  private clearSlot(i: number): void {
    for (const row of this.counts.values()) row[i] = 0;
    this.stamps[i] = -1;
  }
}
