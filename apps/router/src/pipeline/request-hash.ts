import { createHash } from 'node:crypto';
import type { RequestV1 } from '@switchyard/contracts';
import { canonicalJson } from '@switchyard/core';

/**
 * The header of a stored answer that carries its request's hash, so the response log (which
 * rebuilds the idempotency store at start) keeps the binding of id to body too.
 */
export const REQUEST_HASH_HEADER = 'x-switchyard-request-sha256';

/**
 * The header of a stored answer that says when it was given (epoch ms): feedback that comes later
 * is learnt as of that time (QualityObservation.answeredAt).
 */
export const ANSWERED_AT_HEADER = 'x-switchyard-answered-at';

/**
 * Marks a response to a request refused before routing (limits, schema): it is not the id's answer,
 * so the response-log warm-up at start must not load it (a corrected resend is routed).
 */
export const REFUSAL_HEADER = 'x-switchyard-refusal';

/**
 * What binds an id (a Kafka request id, an Idempotency-Key) to one request: the SHA-256 of the
 * validated request without its id, keys sorted, so the same request hashes alike however its
 * producer ordered the fields, and any other field value (a message, a parameter, the class)
 * makes another hash.
 */
export function requestHash(request: RequestV1): string {
  return createHash('sha256').update(canonicalJson({ ...request, id: undefined })).digest('hex');
}
