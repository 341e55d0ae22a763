/**
 * The shared state store (Redis) could not answer: not connected, timed out, or a server error.
 * Budget reservations never surface this (they refuse instead: fail-closed); reads that have no
 * safe answer (`usage`) throw it so the caller can tell "unknown" from "zero".
 */
export class StateStoreUnavailableError extends Error {
  override readonly name = 'StateStoreUnavailableError';
  readonly code = 'state_store_unavailable';

  constructor(
    readonly backend: 'redis',
    readonly operation: string,
    override readonly cause: unknown,
  ) {
    super(`${backend} ${operation} failed: ${describeCause(cause)}`);
  }
}

export function describeCause(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Where the stores report trouble (a Nest Logger fits). Never throws. */
export interface StateLogger {
  warn(message: string): void;
  log?(message: string): void;
}
