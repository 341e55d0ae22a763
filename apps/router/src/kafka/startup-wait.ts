/**
 * Exit code when a dependency (Kafka, the state store) stayed unreachable for the whole startup
 * wait: EX_UNAVAILABLE of sysexits.h, distinct from a configuration error (78) and a crash (1), so
 * a supervisor or an operator can tell "could not reach the broker" from "misconfigured".
 */
export const EXIT_UNAVAILABLE = 69;

export type StartupStatus =
  | { ready: true }
  | {
      ready: false;
      /** What the process waits for, e.g. `waiting for Kafka at 127.0.0.1:9092`. */
      waiting: string;
      /** The start-up step that is failing and its last error. */
      step?: string;
      lastError?: string;
      waitedMs: number;
      /** The process exits with EXIT_UNAVAILABLE once it has waited this long. */
      giveUpAfterMs: number;
    };

/**
 * The start-up wait for the broker and the state store: what is awaited, the last error (for
 * /health/ready) and the deadline after which the process gives up with a clear message instead
 * of retrying forever.
 */
export class StartupWait {
  private readonly startedAt: number;
  private waitingFor: string;
  private step?: string;
  private lastError?: string;
  private done = false;
  private timer?: NodeJS.Timeout;

  constructor(
    initial: string,
    private readonly waitMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.waitingFor = initial;
    this.startedAt = now();
  }

  /** Starts the deadline: `giveUp` gets the message to exit with (the process must end there). */
  arm(giveUp: (message: string) => void): void {
    this.timer = setTimeout(() => {
      if (!this.done) giveUp(this.giveUpMessage());
    }, this.waitMs);
  }

  /** A new thing to wait for (the next dependency). */
  waitFor(what: string): void {
    this.waitingFor = what;
    this.step = undefined;
    this.lastError = undefined;
  }

  failed(step: string, err: unknown): void {
    this.step = step;
    const message = err instanceof Error ? err.message : String(err);
    this.lastError = message.length > 500 ? `${message.slice(0, 500)}…` : message;
  }

  finish(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  /** Time left before giving up (at least 1 ms), for steps that bound their own retries. */
  remainingMs(): number {
    return Math.max(1, this.waitMs - (this.now() - this.startedAt));
  }

  status(): StartupStatus {
    if (this.done) return { ready: true };
    return { ready: false, waiting: this.waitingFor, step: this.step, lastError: this.lastError, waitedMs: this.now() - this.startedAt, giveUpAfterMs: this.waitMs };
  }

  giveUpMessage(): string {
    const last = this.lastError ? ` (${this.step}: ${this.lastError})` : '';
    return `gave up ${this.waitingFor} after ${Math.round((this.now() - this.startedAt) / 1000)} s${last}; exiting with code ${EXIT_UNAVAILABLE} (ROUTER_STARTUP_WAIT_MS)`;
  }
}
