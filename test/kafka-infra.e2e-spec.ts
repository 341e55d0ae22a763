// The broker from test/support/global-setup.ts (infra/kafka.sh, or KAFKA_BROKERS) is real and works
// with kafkajs 2.2.4 for everything the router relies on: admin createTopics, the idempotent
// producer, consumer groups with manual offset commits, pause/resume, and a group of two members
// sharing partitions. No mocks.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs';
import { kafkaBrokers } from './support/env';

jest.setTimeout(120_000); // (a project-level testTimeout in jest.config.js is ignored by Jest 30)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

describe('local Kafka broker (infra/kafka.sh) with kafkajs', () => {
  const kafka = new Kafka({ clientId: 'kafka-infra-e2e', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const run = randomUUID().slice(0, 8);
  let admin: Admin;
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];

  const newTopic = async (name: string, numPartitions: number): Promise<string> => {
    const topic = `e2e.infra.${name}.${run}`;
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    return topic;
  };
  const newProducer = async (): Promise<Producer> => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    producers.push(producer);
    await producer.connect();
    return producer;
  };
  const newConsumer = async (groupId: string): Promise<Consumer> => {
    const consumer = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
    consumers.push(consumer);
    await consumer.connect();
    return consumer;
  };

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await admin?.disconnect();
  });

  it('creates topics through the admin client', async () => {
    const topic = await newTopic('admin', 4);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(4);
  });

  it('produces idempotently, consumes through a group, commits offsets, pauses and resumes', async () => {
    const topic = await newTopic('roundtrip', 3);
    const groupId = `e2e-infra-group-${run}`;
    const total = 30;

    const producer = await newProducer();
    const values = Array.from({ length: total }, (_, i) => `m-${i}`);
    const acks = await producer.send({
      topic,
      acks: -1,
      messages: values.map((value, i) => ({ key: `k-${i % 7}`, value, headers: { 'x-seq': String(i) } })),
    });
    expect(acks.every((r) => r.errorCode === 0)).toBe(true);
    // The idempotent producer got a producer id from the broker (InitProducerId) and sequenced batches.
    expect(acks.length).toBeGreaterThan(0);

    const consumer = await newConsumer(groupId);
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const seen: string[] = [];
    let pausedAt = -1;
    let commits = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }: EachMessagePayload) => {
        seen.push(message.value!.toString());
        expect(message.headers?.['x-seq']?.toString()).toBe(message.value!.toString().slice(2));
        await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        commits++;
        if (pausedAt < 0) {
          pausedAt = seen.length;
          consumer.pause([{ topic }]);
        }
      },
    });

    await waitFor('the first message', () => pausedAt > 0);
    expect(consumer.paused()).toEqual([{ topic, partitions: [0, 1, 2] }]);
    // kafkajs stops a paused partition after the current message, but a batch of another partition
    // that was already fetched still hands over its first message: at most one per other partition.
    await sleep(500);
    const afterPause = seen.length;
    expect(afterPause - pausedAt).toBeLessThanOrEqual(2);
    await sleep(1500);
    expect(seen).toHaveLength(afterPause); // nothing more while paused
    expect(afterPause).toBeLessThan(total);
    consumer.resume([{ topic }]);
    await waitFor(`all ${total} messages committed`, () => commits >= total);
    await sleep(300);
    expect([...seen].sort()).toEqual([...values].sort()); // each exactly once

    // Committed offsets are at each partition's end (-1: nothing was ever committed there).
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = new Map(committed[0].partitions.map((p) => [p.partition, p.offset]));
    expect(ends.reduce((sum, e) => sum + Number(e.high), 0)).toBe(total);
    for (const end of ends) expect(byPartition.get(end.partition)).toBe(end.high === '0' ? '-1' : end.high);
    const describe = await admin.describeGroups([groupId]);
    expect(describe.groups[0].state).toBe('Stable');
  });

  it('splits partitions between two members of one group', async () => {
    const topic = await newTopic('group', 4);
    const groupId = `e2e-infra-shared-${run}`;
    const received = new Map<string, string>(); // value -> member
    const members = [await newConsumer(groupId), await newConsumer(groupId)];
    const assigned: number[][] = [[], []];
    for (const [i, member] of members.entries()) {
      member.on(member.events.GROUP_JOIN, (e) => {
        assigned[i] = (e.payload.memberAssignment[topic] ?? []) as number[];
      });
      await member.subscribe({ topics: [topic], fromBeginning: true });
      await member.run({
        eachMessage: async ({ message }) => {
          received.set(message.value!.toString(), `member-${i}`);
        },
      });
    }
    // Settled once both members hold partitions and nothing is assigned twice (the first member's
    // GROUP_JOIN for the second generation may land after the second member's).
    await waitFor(
      'both members assigned',
      () => assigned[0].length > 0 && assigned[1].length > 0 && assigned[0].length + assigned[1].length === 4,
    );
    expect([...assigned[0], ...assigned[1]].sort()).toEqual([0, 1, 2, 3]);

    const producer = await newProducer();
    const total = 40;
    await producer.send({
      topic,
      messages: Array.from({ length: total }, (_, i) => ({ key: `key-${i}`, value: `v-${i}` })),
    });
    await waitFor(`all ${total} messages`, () => received.size >= total);
    expect(new Set(received.values())).toEqual(new Set(['member-0', 'member-1']));
  });
});
