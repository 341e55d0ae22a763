import type { CheckFailure } from './answer-checks';

/**
 * A request that asks for JSON (`params.responseFormat` json_object or json_schema) holds the
 * router to it: an answer failing the json or schema check is never published as ok, whatever
 * the class's `rejectOnFailure` says; the router falls back, and fails `check_failed` when no arm
 * gives valid JSON.
 */
export function isJsonContractFailure(failure: Pick<CheckFailure, 'check'>): boolean {
  return failure.check === 'json' || failure.check === 'schema';
}
