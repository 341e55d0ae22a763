import type { Admin, Kafka } from 'kafkajs';

export interface PartitionLag {
  partition: number;
  /** Offset of the next record to be written (log end). */
  highWatermark: number;
  /** The group's committed offset (next record to read); the log start when nothing is committed. */
  committed: number;
  lag: number;
}

export interface LagSnapshot {
  at: number;
  partitions: PartitionLag[];
}

/** Reads high watermarks and committed offsets; one call = a few admin requests to the broker. */
export interface LagSource {
  read(): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/**
 * Lag of a consumer group on one topic via the kafkajs admin client: `fetchTopicOffsets` (high
 * watermark and log start per partition) and `fetchOffsets` (the group's commits). The admin
 * connection is opened on first use and kept.
 */
export class KafkaAdminLagSource implements LagSource {
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly groupId: string,
  ) {}

  async read(): Promise<PartitionLag[]> {
    const admin = await this.connect();
    const [ends, groups] = await Promise.all([admin.fetchTopicOffsets(this.topic), admin.fetchOffsets({ groupId: this.groupId, topics: [this.topic] })]);
    const committed = new Map<number, number>();
    for (const p of groups.find((g) => g.topic === this.topic)?.partitions ?? []) committed.set(p.partition, Number(p.offset));
    return ends
      .map((end) => {
        const high = Number(end.high);
        const low = Number(end.low);
        const c = committed.get(end.partition);
        // -1: the group has committed nothing there yet; it reads from the start (fromBeginning).
        const from = c === undefined || c < 0 ? low : c;
        return { partition: end.partition, highWatermark: high, committed: from, lag: Math.max(0, high - from) };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.connecting = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private connect(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const admin = this.kafka.admin({ retry: { retries: 1 } });
      try {
        await admin.connect();
      } catch (err) {
        this.connecting = undefined;
        throw err;
      }
      this.admin = admin;
      return admin;
    })();
    return this.connecting;
  }
}

export interface LagProbeOptions {
  /** A snapshot younger than this is served from the cache (default 10 s). */
  maxAgeMs?: number;
  /** A scrape waits at most this long for a refresh, then serves the previous snapshot (default 2 s). */
  waitMs?: number;
  now?: () => number;
}

/**
 * Bounds the cost of lag reporting: at most one broker round trip per `maxAgeMs` whatever the
 * scrape rate, one refresh at a time, and a scrape never waits longer than `waitMs`.
 */
export class ConsumerLagProbe {
  private snapshot: LagSnapshot | undefined;
  private refreshing: Promise<void> | undefined;
  private lastAttempt = -Infinity;
  errors = 0;
  lastError: string | undefined;
  private readonly maxAgeMs: number;
  private readonly waitMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: LagSource,
    options: LagProbeOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 10_000;
    this.waitMs = options.waitMs ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /** The latest snapshot, refreshed first when older than `maxAgeMs` (waiting at most `waitMs`). */
  async get(): Promise<LagSnapshot | undefined> {
    if (this.now() - this.lastAttempt >= this.maxAgeMs && !this.refreshing) {
      this.lastAttempt = this.now();
      this.refreshing = this.source
        .read()
        .then(
          (partitions) => {
            this.snapshot = { at: this.now(), partitions };
            this.lastError = undefined;
          },
          (err: unknown) => {
            this.errors++;
            this.lastError = err instanceof Error ? err.message : String(err);
          },
        )
        .finally(() => {
          this.refreshing = undefined;
        });
    }
    if (this.refreshing) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.refreshing, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.waitMs)))]);
      clearTimeout(timer);
    }
    return this.snapshot;
  }

  async close(): Promise<void> {
    await this.refreshing;
    await this.source.close();
  }
}
