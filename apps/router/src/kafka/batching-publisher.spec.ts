import type { Producer, ProducerBatch } from 'kafkajs';
import { BatchingPublisher, type OutboundRecord } from './batching-publisher';
import { isPublishRefused } from './publish-errors';
import { RecordLimits } from './record-limits';

/**
 * A producer that behaves like the idempotent kafkajs producer against a broker: a batch holding
 * a record marked `bad` fails with MESSAGE_TOO_LARGE, and after any failure this producer is
 * poisoned (every later send fails with OUT_OF_ORDER_SEQUENCE_NUMBER) until it is replaced.
 */
class BrokerLikeProducers {
  readonly delivered: string[] = [];
  readonly batches: number[] = [];
  created = 0;

  create = (): Producer => {
    this.created++;
    let poisoned = false;
    const producer = {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      sendBatch: (batch: ProducerBatch) => {
        const values = (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => String(m.value)));
        this.batches.push(values.length);
        if (poisoned) return Promise.reject(protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'));
        if (values.some((v) => v.startsWith('bad'))) {
          poisoned = true;
          return Promise.reject(protocolError('MESSAGE_TOO_LARGE'));
        }
        this.delivered.push(...values);
        return Promise.resolve([]);
      },
    };
    return producer as unknown as Producer;
  };
}

/** The shape kafkajs gives a bailed protocol error: a non-retriable wrapper with the typed cause. */
function protocolError(type: string): Error {
  const cause = Object.assign(new Error(`broker said ${type}`), { type, name: 'KafkaJSProtocolError' });
  return Object.assign(new Error(cause.message), { name: 'KafkaJSNonRetriableError', cause });
}

const silent = { warn: () => undefined, error: () => undefined };
const record = (value: string, topic = 't'): OutboundRecord => ({ topic, key: value, value: Buffer.from(value) });

async function setup(limit = 10_000) {
  const producers = new BrokerLikeProducers();
  const publisher = new BatchingPublisher(producers.create, RecordLimits.fixed(limit), silent, { maxBatch: 500, soloAttempts: 3 });
  await publisher.connect();
  return { producers, publisher };
}

describe('BatchingPublisher', () => {
  it('sends records published together as one batch', async () => {
    const { producers, publisher } = await setup();
    await Promise.all(['a', 'b', 'c'].map((v) => publisher.publish(record(v))));
    expect(producers.batches).toEqual([3]);
    expect(producers.delivered).toEqual(['a', 'b', 'c']);
  });

  it('keeps a refused record from taking its batch down: the others are delivered in order on a fresh producer', async () => {
    const { producers, publisher } = await setup();
    const results = await Promise.allSettled(['ok1', 'bad', 'ok2', 'ok3'].map((v) => publisher.publish(record(v))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const refusal = (results[1] as PromiseRejectedResult).reason as unknown;
    expect(isPublishRefused(refusal) && refusal.reason).toBe('record_too_large');
    expect(producers.delivered).toEqual(['ok1', 'ok2', 'ok3']);
    expect(publisher.stats.producerRenewals).toBeGreaterThanOrEqual(2);
    expect(publisher.stats.refused.get('record_too_large')).toBe(1);

    // Later traffic flows on the replacement producer, batched again.
    await Promise.all(['later1', 'later2'].map((v) => publisher.publish(record(v))));
    expect(producers.delivered.slice(-2)).toEqual(['later1', 'later2']);
    expect(producers.batches.at(-1)).toBe(2);
  });

  it('refuses a record over the topic limit before sending it', async () => {
    const { producers, publisher } = await setup(1_000);
    await expect(publisher.publish(record('x'.repeat(2_000)))).rejects.toMatchObject({ name: 'PublishRefusedError', reason: 'record_too_large' });
    expect(producers.batches).toEqual([]);
  });

  it('never lets a batch grow past the smallest topic limit', async () => {
    const { producers, publisher } = await setup(1_000);
    await Promise.all(Array.from({ length: 6 }, (_, i) => publisher.publish(record(`${i}`.padEnd(300, '.')))));
    expect(producers.delivered).toHaveLength(6);
    expect(Math.max(...producers.batches)).toBeLessThanOrEqual(2);
  });

  it('hands a record that keeps failing back to its caller after its solo attempts, with a fresh producer each time', async () => {
    const producers = new BrokerLikeProducers();
    let failing = true;
    const create = () => {
      const p = producers.create();
      const send = p.sendBatch.bind(p);
      return Object.assign(p, { sendBatch: (b: ProducerBatch) => (failing ? Promise.reject(new Error('connection reset')) : send(b)) });
    };
    const publisher = new BatchingPublisher(create, RecordLimits.fixed(10_000), silent, { maxBatch: 500, soloAttempts: 2 });
    await publisher.connect();
    await expect(publisher.publish(record('a'))).rejects.toThrow('connection reset');
    failing = false;
    await publisher.publish(record('a'));
    expect(producers.delivered).toEqual(['a']);
    expect(producers.created).toBeGreaterThanOrEqual(3);
  });

  it('with a linger, gathers records published over a few ticks into one produce request; without, each tick sends', async () => {
    const nextTick = () => new Promise((r) => setImmediate(r));
    const spread = async (publisher: BatchingPublisher) => {
      const a = publisher.publish(record('a'));
      await nextTick();
      const b = publisher.publish(record('b'));
      await Promise.all([a, b]);
    };
    const plain = await setup();
    await spread(plain.publisher);
    expect(plain.producers.batches).toEqual([1, 1]);

    const producers = new BrokerLikeProducers();
    const lingering = new BatchingPublisher(producers.create, RecordLimits.fixed(10_000), silent, { maxBatch: 500, soloAttempts: 3, lingerMs: 20 });
    await lingering.connect();
    await spread(lingering);
    expect(producers.batches).toEqual([2]);
    expect(producers.delivered).toEqual(['a', 'b']);
  });
});
