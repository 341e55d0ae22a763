import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock, Random } from '@switchyard/core';

/** Wall-clock time for production; the core only ever sees the `Clock` port. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleep(ms, undefined, { signal });
  }
}

export class SystemRandom implements Random {
  next(): number {
    return Math.random();
  }
}
