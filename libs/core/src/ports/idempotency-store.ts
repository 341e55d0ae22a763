/**
 * The published answer to a request id, kept so a redelivered or re-published request is answered
 * again byte for byte, without a new provider call or a new charge.
 */
export interface StoredAnswer {
  requestId: string;
  tenant: string;
  topic: string;
  value: Uint8Array;
  headers: Record<string, string>;
  /**
   * SHA-256 of the request this answers (without its id): a later request reusing the id with
   * another body is refused instead of being handed this answer. Absent for answers stored before
   * it was kept; those are replayed without the check.
   */
  requestHash?: string;
}

export interface IdempotencyStore {
  get(requestId: string): Promise<StoredAnswer | undefined>;
  put(answer: StoredAnswer): Promise<void>;
}
