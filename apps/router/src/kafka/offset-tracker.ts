/**
 * Tracks in-flight offsets of one partition so the committed offset never passes unfinished work.
 * Offsets are begun in increasing order (Kafka delivers a partition in order) and may complete in
 * any order; the committable offset is the lowest unfinished offset (or one past the highest
 * finished when nothing is pending). Amortised O(1) per offset.
 */
export class PartitionOffsets {
  private readonly queue: number[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  private next: number | undefined;
  private lastBegun = -1;

  /** Registers an offset handed to a worker. */
  begin(offset: number): void {
    if (offset <= this.lastBegun) {
      throw new Error(`offset ${offset} begun out of order (last ${this.lastBegun})`);
    }
    this.lastBegun = offset;
    this.queue.push(offset);
  }

  /** Marks an offset finished; returns true when the committable offset moved. */
  complete(offset: number): boolean {
    this.done.add(offset);
    let moved = false;
    while (this.head < this.queue.length && this.done.has(this.queue[this.head])) {
      const finished = this.queue[this.head++];
      this.done.delete(finished);
      this.next = finished + 1;
      moved = true;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return moved;
  }

  /** The offset to commit (Kafka semantics: the next offset to read), if any work finished. */
  get committable(): number | undefined {
    return this.next;
  }

  get inFlight(): number {
    return this.queue.length - this.head;
  }

  /** The highest offset handed out so far (-1 before the first). */
  get highestBegun(): number {
    return this.lastBegun;
  }
}

/** Per-partition trackers for one topic assignment epoch. */
export class OffsetTracker {
  private readonly partitions = new Map<number, PartitionOffsets>();
  private readonly committed = new Map<number, number>();

  begin(partition: number, offset: number): void {
    let p = this.partitions.get(partition);
    if (!p) {
      p = new PartitionOffsets();
      this.partitions.set(partition, p);
    }
    p.begin(offset);
  }

  complete(partition: number, offset: number): void {
    this.partitions.get(partition)?.complete(offset);
  }

  /** True when `offset` was already handed out in this epoch (a re-fetch after pause). */
  seen(partition: number, offset: number): boolean {
    const p = this.partitions.get(partition);
    return p !== undefined && offset <= p.highestBegun;
  }

  inFlight(partition: number): number {
    return this.partitions.get(partition)?.inFlight ?? 0;
  }

  get totalInFlight(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.inFlight;
    return n;
  }

  /** Offsets that moved since the last `markCommitted`, as [partition, offset] pairs. */
  pendingCommits(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const [partition, p] of this.partitions) {
      const c = p.committable;
      if (c !== undefined && c !== this.committed.get(partition)) out.push([partition, c]);
    }
    return out;
  }

  markCommitted(partition: number, offset: number): void {
    this.committed.set(partition, offset);
  }

  /** Forgets partitions no longer assigned: their late completions must never be committed. */
  retain(assigned: ReadonlySet<number>): void {
    for (const partition of [...this.partitions.keys()]) {
      if (!assigned.has(partition)) {
        this.partitions.delete(partition);
        this.committed.delete(partition);
      }
    }
  }

  has(partition: number): boolean {
    return this.partitions.has(partition);
  }
}
