import type { Clock } from '../ports/clock';
import type { IdempotencyStore, StoredAnswer } from '../ports/idempotency-store';

export interface InMemoryIdempotencyOptions {
  ttlMs: number;
  /** Oldest entries are evicted past this many, so memory stays bounded under any load. */
  maxEntries: number;
}

/** One-instance idempotency: a Map in insertion order, expired by age and trimmed by count. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, { answer: StoredAnswer; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly options: InMemoryIdempotencyOptions,
  ) {}

  async get(requestId: string): Promise<StoredAnswer | undefined> {
    const entry = this.entries.get(requestId);
    if (!entry) return undefined;
    if (this.clock.now() - entry.at > this.options.ttlMs) {
      this.entries.delete(requestId);
      return undefined;
    }
    return entry.answer;
  }

  async put(answer: StoredAnswer): Promise<void> {
    this.putAt(answer, this.clock.now());
  }

  /** Inserts with an explicit age, for warming from the response log. */
  putAt(answer: StoredAnswer, at: number): void {
    if (this.clock.now() - at > this.options.ttlMs) return;
    this.entries.delete(answer.requestId);
    this.entries.set(answer.requestId, { answer, at });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
