import { ErrorKind, traitsOf } from './error-kind';

const brand = Symbol.for('switchyard.ProviderError');

export interface ProviderErrorInit {
  kind: ErrorKind;
  message: string;
  /** HTTP status when the provider answered with one. */
  status?: number;
  /** Server-advised wait (Retry-After), already converted to milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A classified failure of one provider attempt. Provider adapters throw only this; the router
 * reads `kind` and never inspects SDK error classes.
 */
export class ProviderError extends Error {
  readonly [brand] = true;
  readonly kind: ErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.kind = init.kind;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
  }

  get retryable(): boolean {
    return traitsOf(this.kind).retryable;
  }

  get countsAgainstArm(): boolean {
    return traitsOf(this.kind).countsAgainstArm;
  }
}

export function isProviderError(value: unknown): value is ProviderError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
