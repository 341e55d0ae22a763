import type { Clock, Random } from '@switchyard/core';

/** Wall-clock time for production; the core only ever sees the `Clock` port. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  /**
   * A plain timer rather than timers/promises: that one builds an AbortError (a DOMException) on
   * every cancelled sleep, and the router cancels one deadline timer per attempt.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export class SystemRandom implements Random {
  next(): number {
    return Math.random();
  }
}
