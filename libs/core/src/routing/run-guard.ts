import type { Clock } from '../ports/clock';
import { lastKind, type Run, type Stop } from './route-run';

export const DEFAULT_MAX_ATTEMPTS = 8;

/** Stops the routing loop when time, shutdown or the attempt cap say so. */
export class RunGuard {
  constructor(
    private readonly clock: Clock,
    private readonly maxAttempts = DEFAULT_MAX_ATTEMPTS,
  ) {}

  check(run: Run): Stop | undefined {
    if (this.clock.now() >= run.deadlineAt) return { kind: 'stop', failure: 'deadline_exceeded' };
    if (run.signal?.aborted) return { kind: 'stop', failure: 'deadline_exceeded', detail: 'router shutting down' };
    const max = this.maxAttempts;
    if (run.attempts.length >= max) return { kind: 'stop', failure: lastKind(run.attempts), detail: `attempt cap of ${max} reached` };
    return undefined;
  }
}
