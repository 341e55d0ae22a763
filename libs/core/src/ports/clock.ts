/** Time, injected so that every policy test runs on a virtual clock. */
export interface Clock {
  /** Milliseconds since the epoch (or since an arbitrary origin for virtual clocks). */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
