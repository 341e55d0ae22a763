/**
 * Provider calls in flight per arm, so an arm removed from the routing table can drain: calls
 * already running finish and are learnt from, no new one starts, and whoever holds the arm's
 * state learns when the last one ended (`drained`).
 */
export class ArmDrain {
  private readonly inFlight = new Map<string, number>();
  private readonly waiters = new Map<string, Array<() => void>>();

  begin(arm: string): void {
    this.inFlight.set(arm, (this.inFlight.get(arm) ?? 0) + 1);
  }

  end(arm: string): void {
    const left = (this.inFlight.get(arm) ?? 1) - 1;
    if (left > 0) {
      this.inFlight.set(arm, left);
      return;
    }
    this.inFlight.delete(arm);
    const waiting = this.waiters.get(arm);
    this.waiters.delete(arm);
    for (const resolve of waiting ?? []) resolve();
  }

  count(arm: string): number {
    return this.inFlight.get(arm) ?? 0;
  }

  /** Resolves once no call to `arm` is in flight (at once when none is). */
  drained(arm: string): Promise<void> {
    if (this.count(arm) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(arm) ?? [];
      list.push(resolve);
      this.waiters.set(arm, list);
    });
  }
}
