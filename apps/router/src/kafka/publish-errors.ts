/**
 * What a failed produce means for the records in it. kafkajs already retries what can succeed
 * later (broker restarts, leader moves), so an error that reaches us is one of three things:
 * - `refused`: the broker will never take this record as it is (too large, invalid, not allowed);
 *   retrying it would block its partition forever.
 * - `producer`: the idempotent producer's sequence state is broken (out-of-order sequence, fenced
 *   or unknown producer); every later send on it fails until it is replaced.
 * - `other`: anything else; the producer is replaced too, because a partly applied request leaves
 *   its sequence numbers out of step with the broker.
 */
export type PublishFailureKind = 'refused' | 'producer' | 'other';

/** Why the broker refused a record for good, as a metric label. */
export type RefusalReason = 'record_too_large' | 'invalid_record' | 'not_authorized' | 'invalid_topic' | 'policy_violation';

const REFUSED: Record<string, RefusalReason> = {
  MESSAGE_TOO_LARGE: 'record_too_large',
  RECORD_LIST_TOO_LARGE: 'record_too_large',
  INVALID_RECORD: 'invalid_record',
  CORRUPT_MESSAGE: 'invalid_record',
  INVALID_TIMESTAMP: 'invalid_record',
  TOPIC_AUTHORIZATION_FAILED: 'not_authorized',
  CLUSTER_AUTHORIZATION_FAILED: 'not_authorized',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'not_authorized',
  INVALID_TOPIC_EXCEPTION: 'invalid_topic',
  POLICY_VIOLATION: 'policy_violation',
};

const PRODUCER_FATAL = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
  'DUPLICATE_SEQUENCE_NUMBER',
]);

/** The Kafka protocol error type (e.g. MESSAGE_TOO_LARGE) behind an error or its causes. */
export function protocolErrorType(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function classifyPublishFailure(err: unknown): { kind: PublishFailureKind; reason?: RefusalReason; type?: string } {
  const type = protocolErrorType(err);
  if (type && REFUSED[type]) return { kind: 'refused', reason: REFUSED[type], type };
  if (type && PRODUCER_FATAL.has(type)) return { kind: 'producer', type };
  return { kind: 'other', type };
}

/** The broker refused this record for good: it must not be retried as it is. */
export class PublishRefusedError extends Error {
  override readonly name = 'PublishRefusedError';

  constructor(
    readonly topic: string,
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(`${topic}: ${reason}: ${detail}`);
  }
}

export function isPublishRefused(err: unknown): err is PublishRefusedError {
  return err instanceof PublishRefusedError;
}
