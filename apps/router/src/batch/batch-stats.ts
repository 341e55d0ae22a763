/** What the batch path has done, read by /metrics at scrape time and by /health/routing. */
export class BatchStats {
  /** Requests the decision sent to a batch (submitted). */
  batched = 0;
  /** Requests whose answer came from a batch. */
  answeredByBatch = 0;
  /** Requests answered live instead, by why: `deadline` (rescue time reached), `batch_failed`, `batch_expired`, `batch_cancelled`, `errored`, `expired`, `canceled`, `missing`, `check_failed`, `submit_failed`, `budget`. */
  readonly rescued = new Map<string, number>();
  /** Batch results that came after their request had been answered live (or after its rescue time): discarded. */
  lateDiscarded = 0;
  /** Live price minus batch price of the answers batches gave, USD. */
  savingsUsd = 0;
  /** Batch sizes and completion times (ms) not yet read by the metrics. */
  readonly sizes: number[] = [];
  readonly completionMs: number[] = [];

  rescue(reason: string, n = 1): void {
    this.rescued.set(reason, (this.rescued.get(reason) ?? 0) + n);
  }

  get rescuedTotal(): number {
    let n = 0;
    for (const v of this.rescued.values()) n += v;
    return n;
  }
}
