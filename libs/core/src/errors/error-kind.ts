/**
 * The error taxonomy (docs/architecture.md "Error taxonomy"), as data. Every attempt outcome that is not `ok` is one of these
 * kinds; what the router does next is decided from the kind's traits, never from an HTTP status.
 */
export const ERROR_KINDS = {
  rate_limited: { retryable: true, countsAgainstArm: false },
  server_error: { retryable: true, countsAgainstArm: true },
  timeout_connect: { retryable: true, countsAgainstArm: true },
  timeout_read: { retryable: true, countsAgainstArm: true },
  network: { retryable: true, countsAgainstArm: true },
  auth: { retryable: false, countsAgainstArm: false },
  bad_request: { retryable: false, countsAgainstArm: false },
  context_overflow: { retryable: false, countsAgainstArm: false },
  content_policy: { retryable: false, countsAgainstArm: false },
  partial: { retryable: false, countsAgainstArm: false },
  budget_exceeded: { retryable: false, countsAgainstArm: false },
  circuit_open: { retryable: false, countsAgainstArm: false },
  deadline_exceeded: { retryable: false, countsAgainstArm: false },
  no_eligible_arm: { retryable: false, countsAgainstArm: false },
  /** Every answer failed the class's answer checks (checks with rejectOnFailure). */
  check_failed: { retryable: false, countsAgainstArm: false },
  /** No arm's quality (lower credible bound) meets the class's minQuality: no worse answer is given. */
  quality_unavailable: { retryable: true, countsAgainstArm: false },
} as const satisfies Record<string, ErrorTraits>;

export interface ErrorTraits {
  /** Another attempt (same arm or another) may succeed. */
  readonly retryable: boolean;
  /** The failure says something about the arm's health: it feeds the breaker and the posterior. */
  readonly countsAgainstArm: boolean;
}

export type ErrorKind = keyof typeof ERROR_KINDS;

export const errorKinds = Object.keys(ERROR_KINDS) as ErrorKind[];

export function traitsOf(kind: ErrorKind): ErrorTraits {
  return ERROR_KINDS[kind];
}

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && Object.hasOwn(ERROR_KINDS, value);
}
