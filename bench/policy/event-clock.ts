import type { Clock } from '@switchyard/core';

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
  cancelled: boolean;
}

/**
 * A discrete-event virtual clock: `sleep` and `schedule` register timers in a heap; `run` lets
 * every pending promise callback run (a macrotask turn drains the microtask queue), then jumps
 * straight to the next timer and fires every timer due at that instant, until nothing is left.
 * Time never moves on its own, so a simulation is as fast as its code and fully deterministic.
 */
export class EventClock implements Clock {
  private heap: Timer[] = [];
  private seq = 0;
  private current: number;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(at: number, fire: () => void): Timer {
    const timer: Timer = { at: Math.max(at, this.current), seq: this.seq++, fire, cancelled: false };
    this.push(timer);
    return timer;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      if (!signal) {
        this.schedule(this.current + Math.max(0, ms), resolve);
        return;
      }
      const onAbort = () => {
        timer.cancelled = true;
        reject(signal.reason);
      };
      const timer = this.schedule(this.current + Math.max(0, ms), () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs until no timer is left (or `until` is passed); returns the final virtual time. */
  async run(until = Infinity): Promise<number> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.heap.length && this.heap[0].cancelled) this.pop();
      if (!this.heap.length) return this.current;
      const at = this.heap[0].at;
      if (at > until) return this.current;
      this.current = at;
      while (this.heap.length && this.heap[0].at === at) {
        const t = this.pop();
        if (!t.cancelled) t.fire();
      }
    }
  }

  get pending(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Timer {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
