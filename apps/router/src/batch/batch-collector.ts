/** What a submission made of each request it was given: in the batch, or left to the live path. */
export type Collected = 'batched' | 'live';

interface Group<T> {
  entries: Array<{ entry: T; done: (c: Collected) => void; failed: (err: unknown) => void }>;
  limit: number;
  timer?: NodeJS.Timeout;
}

export interface BatchCollectorOptions<T> {
  /** Submits once a group holds this many (or its own API limit, if lower). */
  maxRequests: number;
  /** ...or once its first entry has waited this long, ms. */
  maxAgeMs: number;
  /** Submits one group's entries as one batch; says per entry whether it was batched. */
  submit: (key: string, entries: T[]) => Promise<Collected[]>;
}

/**
 * Requests chosen for batch, collected per provider endpoint and model until a size or an age
 * threshold, then submitted as one batch. Each `add` resolves when its batch has been submitted
 * and recorded (so the caller commits the request's offset only then), or rejects with the
 * submission's error.
 */
export class BatchCollector<T> {
  private readonly groups = new Map<string, Group<T>>();
  private readonly submitting = new Set<Promise<void>>();

  constructor(private readonly options: BatchCollectorOptions<T>) {}

  /** `apiLimit`: the most requests the provider takes in one batch. */
  add(key: string, apiLimit: number, entry: T): Promise<Collected> {
    let group = this.groups.get(key);
    if (!group) {
      group = { entries: [], limit: Math.max(1, Math.min(this.options.maxRequests, apiLimit)) };
      this.groups.set(key, group);
      group.timer = setTimeout(() => this.flush(key), this.options.maxAgeMs);
    }
    const done = new Promise<Collected>((resolve, reject) => group.entries.push({ entry, done: resolve, failed: reject }));
    if (group.entries.length >= group.limit) this.flush(key);
    return done;
  }

  /** Requests waiting for their batch to be submitted. */
  get waiting(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.entries.length;
    return n;
  }

  /** Submits every group now and waits for the submissions in progress (shutdown). */
  async flushAll(): Promise<void> {
    for (const key of [...this.groups.keys()]) this.flush(key);
    await Promise.allSettled([...this.submitting]);
  }

  private flush(key: string): void {
    const group = this.groups.get(key);
    if (!group) return;
    this.groups.delete(key);
    clearTimeout(group.timer);
    const run = this.options.submit(key, group.entries.map((e) => e.entry)).then(
      (collected) => group.entries.forEach((e, i) => e.done(collected[i] ?? 'live')),
      (err: unknown) => group.entries.forEach((e) => e.failed(err)),
    );
    this.submitting.add(run);
    void run.finally(() => this.submitting.delete(run));
  }
}
