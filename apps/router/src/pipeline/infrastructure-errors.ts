/**
 * True when an error comes from the infrastructure the router stands on (the Kafka client, the
 * shared state store) rather than from the request being handled: waiting for it helps, and a
 * request that met it must not be dead-lettered. Follows `cause` a few levels.
 */
export function isInfrastructureError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name.startsWith('KafkaJS')) return true;
    if (REDIS_ERRORS.has(e.name)) return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && NETWORK_CODES.has(code)) return true;
  }
  return false;
}

/** The state store's own wrapper and ioredis' connection-level errors. */
const REDIS_ERRORS = new Set(['StateStoreUnavailableError', 'MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
