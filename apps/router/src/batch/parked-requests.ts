import type { RequestV1 } from '@switchyard/contracts';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { durableProducer, followCompactedTopic } from './compacted-topic';

/** A request handed to a provider batch: what a replica needs to answer it later, from the batch or live. */
export interface ParkedRequest {
  request: RequestV1;
  /** Epoch ms the router received it (the batch wait is counted from here). */
  receivedAt: number;
  /** `traceparent` (and `tracestate`) of its batch decision span: the answer's trace continues there. */
  trace: Record<string, string>;
}

/**
 * The batched requests themselves, by request id. The ledger holds only ids: after a kill -9 the
 * replica that resumes a batch reads the requests from here to publish or rescue their answers.
 */
export interface ParkedRequests {
  /** Resolves once every request is durable. */
  put(parked: readonly ParkedRequest[]): Promise<void>;
  get(requestId: string): ParkedRequest | undefined;
  /** Forgets answered requests (a tombstone on the topic). */
  forget(requestIds: readonly string[]): Promise<void>;
}

export class InMemoryParkedRequests implements ParkedRequests {
  private readonly parked = new Map<string, ParkedRequest>();

  async put(parked: readonly ParkedRequest[]): Promise<void> {
    for (const p of parked) this.parked.set(p.request.id, p);
  }

  get(requestId: string): ParkedRequest | undefined {
    return this.parked.get(requestId);
  }

  async forget(requestIds: readonly string[]): Promise<void> {
    for (const id of requestIds) this.parked.delete(id);
  }
}

/** ParkedRequests on a compacted topic keyed by request id, written with acks from all in-sync replicas. */
export class KafkaParkedRequests implements ParkedRequests {
  private readonly parked = new Map<string, ParkedRequest>();

  private constructor(
    private readonly producer: Producer,
    private consumer: Consumer | undefined,
    private readonly topic: string,
  ) {}

  /** Connects and resolves once the requests already in the topic have been read. */
  static async open(kafka: Kafka, options: { topic: string; replica: string }): Promise<KafkaParkedRequests> {
    const producer = durableProducer(kafka);
    await producer.connect();
    const store = new KafkaParkedRequests(producer, undefined, options.topic);
    store.consumer = await followCompactedTopic(kafka, options.topic, `switchyard-batch-requests-${options.replica}`, (key, value) => store.apply(key, value));
    return store;
  }

  async put(parked: readonly ParkedRequest[]): Promise<void> {
    if (parked.length === 0) return;
    await this.producer.send({ topic: this.topic, acks: -1, messages: parked.map((p) => ({ key: p.request.id, value: JSON.stringify(p) })) });
    for (const p of parked) this.parked.set(p.request.id, p);
  }

  get(requestId: string): ParkedRequest | undefined {
    return this.parked.get(requestId);
  }

  async forget(requestIds: readonly string[]): Promise<void> {
    if (requestIds.length === 0) return;
    await this.producer.send({ topic: this.topic, acks: -1, messages: requestIds.map((id) => ({ key: id, value: null })) });
    for (const id of requestIds) this.parked.delete(id);
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer.disconnect();
  }

  private apply(key: string | undefined, value: Buffer | null): void {
    if (!key) return;
    if (value === null) {
      this.parked.delete(key);
      return;
    }
    try {
      this.parked.set(key, JSON.parse(value.toString()) as ParkedRequest);
    } catch {
      // A record this version cannot read is skipped rather than stopping the reader.
    }
  }
}
