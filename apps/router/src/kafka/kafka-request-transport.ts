import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { headersToStrings, REQUEST_PATTERN, type InboundMessage } from './inbound-message';
import { runWithTries, type HandlerTriesOptions } from './handler-tries';
import { OffsetTracker } from './offset-tracker';

export interface RequestTransportOptions {
  topic: string;
  groupId: string;
  /** Requests processed at once by this instance, across and within partitions. */
  maxInFlight: number;
  /** Requests in flight from one partition before that partition is paused. */
  partitionWindow: number;
  /** How long SIGTERM waits for in-flight requests before leaving the group anyway. */
  drainTimeoutMs: number;
  commitIntervalMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Partitions whose batches are handled concurrently by kafkajs. */
  partitionsConsumedConcurrently: number;
  /** Fetch size per partition: bounds what one partition can buffer while it waits for slots. */
  maxBytesPerPartition: number;
  /**
   * Fetch long-poll wait. kafkajs also sleeps this long when every assigned partition is paused,
   * and a resume does not cut that sleep short, so it bounds how fast a full window refills.
   */
  maxWaitTimeMs: number;
  /** A fetch is answered once this many bytes are there, or after maxWaitTimeMs (default 1: at once). */
  minBytes?: number;
  /** A partition whose oldest unfinished request is older than this holds back its commits: reported as stuck. */
  stuckAfterMs: number;
  /**
   * What happens when the handler throws (it is built not to): a failure that is the record's own
   * is tried this many times, then the record is handed to `giveUp` (the DLQ) so the partition
   * moves on; infrastructure failures (`isTransient`) are retried until they pass.
   */
  handlerFailures?: Pick<HandlerTriesOptions, 'maxTries' | 'isTransient' | 'giveUp'>;
}

export type TransportState = 'idle' | 'connecting' | 'running' | 'draining' | 'stopped' | 'crashed';

const RESUME_FRACTION = 0.75;

/** The request consumer's kafkajs settings (the throughput bench's bare Kafka echo uses them too). */
export function requestConsumerConfig(
  o: Pick<RequestTransportOptions, 'groupId' | 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxWaitTimeMs' | 'minBytes' | 'maxBytesPerPartition'>,
): ConsumerConfig {
  return {
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: o.heartbeatIntervalMs,
    allowAutoTopicCreation: true,
    maxWaitTimeInMs: o.maxWaitTimeMs,
    minBytes: o.minBytes ?? 1,
    maxBytesPerPartition: o.maxBytesPerPartition,
    retry: { retries: 10 },
  };
}

/**
 * A NestJS transport strategy on kafkajs that keeps many requests in flight. The stock ServerKafka
 * awaits each message inside `eachMessage`, so a partition moves one LLM call at a time. Here each
 * batch is dispatched without waiting; offsets are committed only up to the lowest unfinished one
 * per partition; a partition whose window (or the instance's) is full is paused and resumed when
 * it drains. Delivery is at-least-once: the handler publishes the response before its offset can
 * be committed, and redeliveries are answered from the idempotency store.
 */
export class KafkaRequestTransport extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('KafkaTransport');
  private consumer: Consumer | undefined;
  private readonly tracker = new OffsetTracker();
  private readonly paused = new Set<number>();
  /** Accepted (tracked, resolved) but not yet started, per partition, in offset order. */
  private readonly backlog = new Map<number, MessageQueue>();
  private readonly running = new Map<number, number>();
  /**
   * When each unfinished offset was taken in, per partition, in offset order (a Map keeps
   * insertion order), so the first entry is the one holding back the partition's commits.
   */
  private readonly takenAt = new Map<number, Map<number, number>>();
  private handle: ((m: InboundMessage) => Promise<void>) | undefined;
  private assigned = new Set<number>();
  private inFlight = 0;
  private peakInFlight = 0;
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private stateValue: TransportState = 'idle';
  private joinedGroup = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: RequestTransportOptions,
  ) {
    super();
  }

  get state(): TransportState {
    return this.stateValue;
  }

  /** Ready means: joined the group and fetching (an instance with no partitions is still ready). */
  get ready(): boolean {
    return this.stateValue === 'running' && this.joinedGroup;
  }

  stats(now = Date.now()) {
    const { oldestMs, stuck } = this.ages(now);
    return {
      state: this.stateValue,
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      assignedPartitions: [...this.assigned].sort((a, b) => a - b),
      pausedPartitions: [...this.paused].sort((a, b) => a - b),
      waiting: [...this.backlog.values()].reduce((n, q) => n + q.length, 0),
      /** Age of the oldest request taken in and not finished (0 when idle). */
      oldestInFlightMs: oldestMs,
      /** Partitions whose oldest unfinished request is older than stuckAfterMs: their commits cannot move. */
      stuckPartitions: stuck,
    };
  }

  private ages(now: number): { oldestMs: number; stuck: number[] } {
    let oldestMs = 0;
    const stuck: number[] = [];
    for (const [partition, offsets] of this.takenAt) {
      const first = offsets.values().next();
      if (first.done) continue;
      const age = now - first.value;
      if (age > oldestMs) oldestMs = age;
      if (age > this.options.stuckAfterMs) stuck.push(partition);
    }
    return { oldestMs, stuck: stuck.sort((a, b) => a - b) };
  }

  on(): never {
    throw new Error('KafkaRequestTransport does not expose events; read stats() instead');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  listen(callback: (err?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  private async start(): Promise<void> {
    const handler = this.getHandlerByPattern(REQUEST_PATTERN);
    if (!handler) throw new Error(`no handler registered for ${REQUEST_PATTERN}`);
    this.handle = (m) => this.invoke(handler, m);
    this.stateValue = 'connecting';
    const o = this.options;
    const consumer = this.kafka.consumer(requestConsumerConfig(o));
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const mine = new Set<number>(payload.memberAssignment[o.topic] ?? []);
      this.assigned = mine;
      this.tracker.retain(mine);
      for (const p of [...this.paused]) if (!mine.has(p)) this.paused.delete(p);
      // Revoked partitions' waiting messages belong to their new owner now (never committed here).
      for (const p of [...this.backlog.keys()]) if (!mine.has(p)) this.backlog.delete(p);
      for (const p of [...this.takenAt.keys()]) if (!mine.has(p)) this.takenAt.delete(p);
      this.joinedGroup = true;
      this.logger.log(`joined group ${o.groupId}: partitions [${[...mine].sort((a, b) => a - b).join(', ')}] of ${o.topic}`);
    });
    consumer.on(consumer.events.REBALANCING, () => {
      this.logger.log('group rebalancing');
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error(`consumer crashed: ${payload.error.message}${payload.restart ? ' (restarting)' : ''}`);
      if (!payload.restart) this.stateValue = 'crashed';
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.stateValue = 'running';
    this.commitTimer = setInterval(() => void this.commit(), o.commitIntervalMs);
  }

  private async invoke(handler: NonNullable<ReturnType<Server['getHandlerByPattern']>>, message: InboundMessage): Promise<void> {
    await lastValueFrom(this.transformToObservable(await handler(message)), { defaultValue: undefined });
  }

  /**
   * Takes a fetched batch in: every new message is tracked (so commits stay below it) and resolved
   * (so kafkajs fetches past it), then started as slots allow. What cannot start yet waits here
   * rather than being dropped and fetched again, and the partition is paused until it drains.
   */
  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const partition = batch.partition;
    let queue = this.backlog.get(partition);
    const now = Date.now();
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stateValue !== 'running') break;
      const offset = Number(message.offset);
      if (this.tracker.seen(partition, offset)) {
        // Redelivered after a rebalance that kept this partition here: already taken in.
        resolveOffset(message.offset);
        continue;
      }
      this.tracker.begin(partition, offset);
      let taken = this.takenAt.get(partition);
      if (!taken) this.takenAt.set(partition, (taken = new Map()));
      taken.set(offset, now);
      resolveOffset(message.offset);
      if (!queue) this.backlog.set(partition, (queue = new MessageQueue(batch.topic)));
      queue.push(message);
    }
    this.pump(partition);
    if ((this.backlog.get(partition)?.length ?? 0) > 0) this.pause(partition);
    await heartbeat();
  }

  /** Starts waiting messages of one partition while the instance and the partition have room. */
  private pump(partition: number): void {
    const queue = this.backlog.get(partition);
    if (!queue || !this.handle) return;
    while (queue.length > 0 && this.stateValue === 'running' && this.inFlight < this.options.maxInFlight && this.runningIn(partition) < this.options.partitionWindow) {
      const message = queue.shift()!;
      this.inFlight++;
      this.running.set(partition, this.runningIn(partition) + 1);
      if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
      void this.dispatch(queue.topic, partition, message, this.handle);
    }
    if (queue.length === 0) this.backlog.delete(partition);
  }

  private runningIn(partition: number): number {
    return this.running.get(partition) ?? 0;
  }

  private async dispatch(topic: string, partition: number, message: KafkaMessage, handle: (m: InboundMessage) => Promise<void>): Promise<void> {
    const inbound: InboundMessage = {
      topic,
      partition,
      offset: message.offset,
      timestamp: message.timestamp,
      key: message.key,
      value: message.value,
      headers: headersToStrings(message.headers),
    };
    // The handler is built never to throw (bad input goes to the DLQ, publish failures are
    // retried inside it). If it throws anyway, a bounded number of tries, then the DLQ: a record
    // is never committed past unanswered, and never holds its partition either.
    const failures = this.options.handlerFailures ?? { maxTries: Number.POSITIVE_INFINITY, isTransient: () => true, giveUp: async () => undefined };
    const end = await runWithTries(inbound, handle, {
      ...failures,
      running: () => this.stateValue !== 'stopped',
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      log: (line) => this.logger.error(line),
    });
    if (end === 'stopped') return;
    this.inFlight--;
    this.running.set(partition, this.runningIn(partition) - 1);
    if (this.assigned.has(partition)) this.tracker.complete(partition, Number(message.offset));
    this.takenAt.get(partition)?.delete(Number(message.offset));
    for (const waiting of [...this.backlog.keys()]) this.pump(waiting);
    this.maybeResume();
    if (this.inFlight === 0) this.drained?.();
  }

  private pause(partition: number): void {
    if (this.paused.has(partition) || !this.consumer) return;
    this.paused.add(partition);
    this.consumer.pause([{ topic: this.options.topic, partitions: [partition] }]);
    this.logger.debug(`paused partition ${partition} (${this.tracker.inFlight(partition)} in flight there, ${this.inFlight} in total)`);
  }

  private maybeResume(): void {
    if (this.paused.size === 0 || !this.consumer || this.stateValue !== 'running') return;
    if (this.inFlight > this.options.maxInFlight * RESUME_FRACTION) return;
    const ready = [...this.paused].filter((p) => !this.backlog.has(p) && this.runningIn(p) <= this.options.partitionWindow * RESUME_FRACTION);
    if (ready.length === 0) return;
    ready.forEach((p) => this.paused.delete(p));
    this.consumer.resume([{ topic: this.options.topic, partitions: ready }]);
    this.logger.debug(`resumed partitions ${ready.join(', ')} (${this.inFlight} in flight)`);
  }

  /** Commits, per assigned partition, the lowest unfinished offset (never past unfinished work). */
  async commit(): Promise<void> {
    if (this.committing) return this.committing;
    const consumer = this.consumer;
    const pending = this.tracker.pendingCommits().filter(([p]) => this.assigned.has(p));
    if (!consumer || pending.length === 0) return;
    this.committing = consumer
      .commitOffsets(pending.map(([partition, offset]) => ({ topic: this.options.topic, partition, offset: String(offset) })))
      .then(
        () => pending.forEach(([p, o]) => this.tracker.markCommitted(p, o)),
        (err: Error) => this.logger.warn(`offset commit deferred: ${err.message}`),
      )
      .finally(() => {
        this.committing = undefined;
      });
    return this.committing;
  }

  /**
   * Graceful stop: stop fetching, let in-flight requests finish (up to the drain deadline),
   * commit, leave the group. Idempotent.
   */
  async close(): Promise<void> {
    if (this.stateValue === 'stopped' || this.stateValue === 'draining') return;
    const consumer = this.consumer;
    this.stateValue = 'draining';
    if (consumer && this.assigned.size > 0) consumer.pause([{ topic: this.options.topic }]);
    if (this.inFlight > 0) {
      this.logger.log(`draining ${this.inFlight} in-flight requests (up to ${this.options.drainTimeoutMs} ms)`);
      const drained = new Promise<void>((resolve) => (this.drained = resolve));
      const timedOut = new Promise<void>((resolve) => setTimeout(resolve, this.options.drainTimeoutMs).unref());
      await Promise.race([drained, timedOut]);
      if (this.inFlight > 0) this.logger.warn(`drain deadline reached with ${this.inFlight} requests unfinished; they will be redelivered`);
    }
    clearInterval(this.commitTimer);
    await this.committing;
    await this.commit();
    this.stateValue = 'stopped';
    await consumer?.disconnect();
    this.logger.log('consumer left the group');
  }
}

/** A FIFO of fetched messages with O(1) shift (batches can hold thousands of records). */
class MessageQueue {
  private items: KafkaMessage[] = [];
  private head = 0;

  constructor(readonly topic: string) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(message: KafkaMessage): void {
    this.items.push(message);
  }

  shift(): KafkaMessage | undefined {
    if (this.head >= this.items.length) return undefined;
    const message = this.items[this.head++];
    if (this.head > 512 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return message;
  }
}
