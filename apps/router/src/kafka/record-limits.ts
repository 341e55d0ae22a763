import { ConfigResourceTypes, type Kafka } from 'kafkajs';

/** Kafka's own default for `message.max.bytes` / `max.message.bytes` (1 MiB + 12 bytes). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Bytes a single-record batch adds to its record (batch header 61 bytes, rounded up with margin). */
const BATCH_OVERHEAD = 128;

/**
 * The largest record each output topic takes. The broker refuses a record batch over the topic's
 * `max.message.bytes` (MESSAGE_TOO_LARGE) and retrying cannot help, so the publisher checks
 * before sending and the DLQ writer truncates to fit. Read from the broker at start; a configured
 * limit (KAFKA_MAX_RECORD_BYTES) caps it for brokers we may not describe.
 */
export class RecordLimits {
  constructor(
    private readonly perTopic: ReadonlyMap<string, number>,
    /** For topics not described at start (reply topics): the broker's `message.max.bytes`. */
    private readonly fallback: number,
  ) {}

  static fixed(bytes: number): RecordLimits {
    return new RecordLimits(new Map(), bytes);
  }

  /** Largest record (key + value + headers) that fits a batch on `topic`. */
  recordLimit(topic: string): number {
    return (this.perTopic.get(topic) ?? this.fallback) - BATCH_OVERHEAD;
  }

  smallestLimit(): number {
    return Math.min(this.fallback, ...this.perTopic.values()) - BATCH_OVERHEAD;
  }

  describe(): Record<string, number> {
    return { ...Object.fromEntries(this.perTopic), '*': this.fallback };
  }
}

/**
 * Reads `max.message.bytes` of `topics` and the broker's `message.max.bytes`. `cap` (when > 0)
 * bounds every limit; when the broker cannot be described (ACLs), the cap or Kafka's default is used.
 */
export async function readRecordLimits(kafka: Kafka, topics: readonly string[], cap: number): Promise<{ limits: RecordLimits; warning?: string }> {
  const bound = (n: number) => (cap > 0 ? Math.min(n, cap) : n);
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const described = [...new Set(topics)].filter((t) => existing.has(t));
    const cluster = await admin.describeCluster();
    const brokerId = String(cluster.brokers[0]?.nodeId ?? 1);
    const result = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.BROKER, name: brokerId, configNames: ['message.max.bytes'] },
        ...described.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
      ],
    });
    let fallback = KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    const perTopic = new Map<string, number>();
    for (const resource of result.resources) {
      const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes' || e.configName === 'message.max.bytes');
      const value = Number(entry?.configValue);
      if (!Number.isFinite(value) || value <= 0) continue;
      if (resource.resourceType === ConfigResourceTypes.BROKER) fallback = value;
      else perTopic.set(resource.resourceName, bound(value));
    }
    return { limits: new RecordLimits(perTopic, bound(fallback)) };
  } catch (err) {
    const fallback = bound(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    return { limits: RecordLimits.fixed(fallback), warning: `could not read topic size limits (${(err as Error).message}); assuming ${fallback} bytes (set KAFKA_MAX_RECORD_BYTES)` };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
