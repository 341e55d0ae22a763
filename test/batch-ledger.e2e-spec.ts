import { randomUUID } from 'node:crypto';
import { batchLedgerContract } from '../libs/core/src/batch/testing/batch-ledger-contract';
import { KafkaBatchLedger } from '../apps/router/src/batch/kafka-batch-ledger';
import { testKafka } from './support/kafka-io';

/**
 * The Kafka batch ledger on a real broker: the BatchLedger contract, and a second ledger opened on
 * the same compacted topic (a restarted replica) rebuilds every batch and settlement from it.
 */
const kafka = testKafka();
const opened: KafkaBatchLedger[] = [];
const topicOf = new Map<KafkaBatchLedger, string>();

async function openLedger(topic: string): Promise<KafkaBatchLedger> {
  const ledger = await KafkaBatchLedger.open(kafka, { topic, replica: 'e2e' });
  opened.push(ledger);
  topicOf.set(ledger, topic);
  return ledger;
}

afterAll(async () => {
  await Promise.all(opened.map((l) => l.close()));
});

batchLedgerContract(
  'KafkaBatchLedger',
  () => openLedger(`batch-ledger-${randomUUID().slice(0, 8)}`),
  (ledger) => openLedger(topicOf.get(ledger as KafkaBatchLedger)!),
);

describe('KafkaBatchLedger', () => {
  it('a restarted replica resumes the open batches, deadlines included, and follows the first one\'s settlements', async () => {
    const topic = `batch-ledger-${randomUUID().slice(0, 8)}`;
    const first = await openLedger(topic);
    await first.record({ batchId: 'open', armId: 'a', requestIds: ['r1', 'r2'], submittedAt: 5, rescueAt: { r1: 50, r2: 60 } });
    await first.record({ batchId: 'done', armId: 'a', requestIds: ['r3'], submittedAt: 1, rescueAt: { r3: 10 } });
    await first.settle('done', ['r3'], 'batch');
    const second = await openLedger(topic);
    expect(await second.open()).toEqual([{ batchId: 'open', armId: 'a', requestIds: ['r1', 'r2'], submittedAt: 5, rescueAt: { r1: 50, r2: 60 }, settled: {} }]);
    await first.settle('open', ['r1'], 'live');
    const deadline = Date.now() + 10_000;
    while ((await second.get('open'))?.settled.r1 === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await second.get('open'))?.settled).toEqual({ r1: 'live' });
  });
});
