import type { IdempotencyStore, StoredAnswer } from '@switchyard/core';

/**
 * A shared store can mark a request id as being routed by one replica. When partitions move
 * between live replicas, the old owner is still routing a request the new owner receives again;
 * without a claim both would call a provider (and both calls are charged).
 */
export interface ClaimingStore {
  /** True when `owner` now holds the claim (or already did); false when another replica does. */
  claim(requestId: string, owner: string, ttlMs: number): Promise<boolean>;
  renewClaim(requestId: string, ttlMs: number): Promise<void>;
}

export function isClaimingStore(store: IdempotencyStore): store is IdempotencyStore & ClaimingStore {
  return typeof (store as Partial<ClaimingStore>).claim === 'function';
}

/** Short, renewed while routing: a dead owner's claim lapses within this. */
export const CLAIM_TTL_MS = 10_000;
const POLL_MS = 250;

/**
 * Takes the claim for `requestId`, or waits for the replica holding it to store its answer.
 * Returns that answer, or undefined once this replica holds the claim and should route.
 */
export async function claimOrAwait(store: IdempotencyStore & ClaimingStore, requestId: string, owner: string): Promise<StoredAnswer | undefined> {
  for (;;) {
    if (await store.claim(requestId, owner, CLAIM_TTL_MS)) return undefined;
    await new Promise((r) => setTimeout(r, POLL_MS));
    const answer = await store.get(requestId);
    if (answer) return answer;
  }
}

/** Keeps a claim alive while routing; call the returned function when done. */
export function keepClaim(store: ClaimingStore, requestId: string): () => void {
  const timer = setInterval(() => void store.renewClaim(requestId, CLAIM_TTL_MS), CLAIM_TTL_MS / 3);
  timer.unref();
  return () => clearInterval(timer);
}
