import { createHash } from 'node:crypto';
import { CompressionTypes } from 'kafkajs';
import { eventually, groupLag } from './support/drills';
import { createTopics, publishRaw, request, TopicCollector } from './support/kafka-io';
import { Stack } from './support/stack';

interface DlqJson {
  reason: string;
  requestId?: string;
  message: string;
  valueBase64: string;
  valueBytes: number;
  valueSha256: string;
  truncated: boolean;
}

const MiB = 1_048_576;

/** A request whose JSON is exactly `bytes` long (one user message padded with 'y'). */
function requestOfSize(id: string, bytes: number): Buffer {
  const skeleton = JSON.stringify(request(id, { messages: [{ role: 'user', content: '' }] }));
  return Buffer.from(JSON.stringify(request(id, { messages: [{ role: 'user', content: 'y'.repeat(bytes - skeleton.length) }] })));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Big requests at the router's *default* limits (1 MiB per message, content up to the largest
 * context window), mixed with valid traffic: none may block its partition. Then records the broker
 * refuses in the same produce batch as valid ones: the refused ones are replaced, the others are
 * delivered, and the producer keeps working.
 */
describe('limits and producer faults: nothing blocks a partition, every caller hears back', () => {
  const stack = new Stack({
    prefix: 'limits',
    sim: { latencyScale: 0.02, seed: 11 },
    // Largest window 128k tokens: the default content limit is 512,000 characters.
    arms: [{ id: 'primary', provider: 'openai', model: 'gpt-4o-mini', contextWindow: 128_000 }],
    collectDlq: true,
  });
  const { topics } = stack;
  const tinyReplies = `${topics.tag}.tiny-replies`;
  beforeAll(async () => {
    await stack.start();
    // A reply topic whose records may be at most 100 bytes: every answer sent there is refused by the broker.
    await createTopics(stack.kafka, [tinyReplies], 1, [{ name: 'max.message.bytes', value: '100' }]);
    await stack.startRouter();
  });
  afterAll(() => stack.stop());

  it('answers valid traffic around 300 KB, 700 KB, 800 KB, 1 MiB − 1 and gzip 5 MiB requests; the bad ones reach the DLQ (truncated to fit) and their callers', async () => {
    const big = {
      'valid-300k': requestOfSize('valid-300k', 300_000),
      'lim-700k': requestOfSize('lim-700k', 700_000),
      'lim-800k': requestOfSize('lim-800k', 800_000),
      'lim-1mib': requestOfSize('lim-1mib', MiB - 1),
      'over-5mib': requestOfSize('over-5mib', 5 * MiB),
    };
    const valid = Array.from({ length: 200 }, (_, i) => `v-${i}`);
    await publishRaw(stack.producer, topics.requests, valid.slice(0, 100).map((id) => ({ key: id, value: JSON.stringify(request(id)) })));
    // Each big one alone; those over the broker's 1 MiB batch limit travel compressed, as `kcat -z gzip` sends them.
    for (const [id, value] of Object.entries(big)) {
      await stack.producer.send({ topic: topics.requests, compression: value.length > 1_000_000 ? CompressionTypes.GZIP : CompressionTypes.None, messages: [{ key: id, value }] });
    }
    await publishRaw(stack.producer, topics.requests, valid.slice(100).map((id) => ({ key: id, value: JSON.stringify(request(id)) })));

    await stack.responses.waitFor((c) => c.distinctKeys() >= valid.length + 5, 120_000, 'an answer for every request id');
    await stack.dlq.waitFor((c) => c.records.length >= 4, 60_000, 'four DLQ records');

    const answers = stack.responses.byKey();
    for (const id of [...valid, 'valid-300k']) {
      expect(answers.get(id)).toHaveLength(1);
      expect(answers.get(id)![0].json).toMatchObject({ id, status: 'ok' });
    }
    for (const id of ['lim-700k', 'lim-800k', 'lim-1mib', 'over-5mib']) {
      expect(answers.get(id)).toHaveLength(1);
      expect(answers.get(id)![0].json).toMatchObject({ id, status: 'failed', attempts: [], error: { kind: 'limits', retryable: false } });
    }
    expect(String((answers.get('lim-700k')![0].json.error as { message: string }).message)).toMatch(/512000 \(ROUTER_MAX_CONTENT_CHARS\)/);
    expect(stack.sim.calls().filter((c) => /^(lim|over)-/.test(c.requestId ?? ''))).toEqual([]);

    const records = new Map(stack.dlq.records.map((r) => [String(r.json.requestId), r]));
    const expected: Array<[string, string, boolean]> = [
      ['lim-700k', 'limits', false],
      ['lim-800k', 'limits', true],
      ['lim-1mib', 'limits', true],
      ['over-5mib', 'oversize', true],
    ];
    for (const [id, reason, truncated] of expected) {
      const record = records.get(id);
      expect(record).toBeDefined();
      const json = record!.json as unknown as DlqJson;
      const original = big[id as keyof typeof big];
      expect(json).toMatchObject({ reason, truncated, valueBytes: original.length, valueSha256: sha256(original) });
      const kept = Buffer.from(json.valueBase64, 'base64');
      expect(original.subarray(0, kept.length).equals(kept)).toBe(true);
      if (!truncated) expect(kept.length).toBe(original.length);
      expect(record!.value.length).toBeLessThan(MiB);
    }

    await eventually(async () => (await groupLag(stack.kafka, `${topics.tag}-router`, topics.requests)).every((lag) => lag === 0), 30_000, 'consumer lag back to 0');
    const health = (await (await fetch(`http://127.0.0.1:${stack.router.port}/health/routing`)).json()) as { pipeline: { stuckPartitions: number[]; oldestInFlightMs: number } };
    expect(health.pipeline).toMatchObject({ stuckPartitions: [], oldestInFlightMs: 0 });
    const metrics = await (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_dlq_records_total\{reason="limits"\} 3/);
    expect(metrics).toMatch(/switchyard_dlq_records_total\{reason="oversize"\} 1/);
  });

  it('delivers every answer batched with records the broker refuses, replaces the refused ones, and keeps the producer working', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `mix-${i}`);
    const toTiny = new Set(ids.filter((_, i) => i % 10 === 3));
    await publishRaw(
      stack.producer,
      topics.requests,
      ids.map((id) => ({ key: id, value: JSON.stringify(request(id, toTiny.has(id) ? { replyTopic: tinyReplies } : {})) })),
    );
    const answered = ids.filter((id) => !toTiny.has(id));
    await stack.responses.waitFor((c) => answered.every((id) => c.byKey().has(id)), 120_000, 'every answer for the responses topic');
    // Count distinct ids: a record re-sent after a partly applied batch is a duplicate the contract allows.
    const undeliverableIds = (c: typeof stack.dlq) => new Set(c.records.filter((r) => r.json.reason === 'undeliverable').map((r) => String(r.json.requestId)));
    await stack.dlq.waitFor((c) => undeliverableIds(c).size >= toTiny.size, 60_000, 'a DLQ record per refused answer');

    for (const id of answered) expect(stack.responses.byKey().get(id)![0].json).toMatchObject({ id, status: 'ok' });
    const undeliverable = stack.dlq.records.filter((r) => r.json.reason === 'undeliverable').map((r) => r.json as unknown as DlqJson);
    expect(new Set(undeliverable.map((r) => r.requestId))).toEqual(toTiny);
    for (const record of undeliverable) {
      expect(JSON.parse(Buffer.from(record.valueBase64, 'base64').toString())).toMatchObject({ id: record.requestId, status: 'ok' });
    }
    // One provider call per id: refusals are not retried through the router.
    expect(stack.sim.calls().filter((c) => c.requestId?.startsWith('mix-'))).toHaveLength(ids.length);

    const metrics = await (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();
    expect(Number(/switchyard_producer_renewals_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/switchyard_publish_refused_total\{reason="record_too_large"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(toTiny.size);

    // The producer still works after the faults: fresh requests are answered at once.
    await publishRaw(stack.producer, topics.requests, [{ key: 'after-1', value: JSON.stringify(request('after-1')) }]);
    await stack.responses.waitFor((c) => c.byKey().has('after-1'), 30_000, 'an answer after the faults');
    await eventually(async () => (await groupLag(stack.kafka, `${topics.tag}-router`, topics.requests)).every((lag) => lag === 0), 30_000, 'consumer lag back to 0');
  });

  it('creates a reply topic that does not exist yet and answers there', async () => {
    const fresh = `${topics.tag}.created-on-demand`;
    const collector = new TopicCollector(stack.kafka, fresh);
    await publishRaw(stack.producer, topics.requests, [{ key: 'reply-new', value: JSON.stringify(request('reply-new', { replyTopic: fresh })) }]);
    await eventually(async () => {
      const admin = stack.kafka.admin();
      await admin.connect();
      const exists = (await admin.listTopics()).includes(fresh);
      await admin.disconnect();
      return exists;
    }, 30_000, 'the reply topic to be created');
    await collector.start();
    try {
      await collector.waitFor((c) => c.byKey().has('reply-new'), 30_000, 'the answer on the new reply topic');
      expect(collector.byKey().get('reply-new')![0].json).toMatchObject({ id: 'reply-new', status: 'ok' });
    } finally {
      await collector.stop();
    }
  });

  it('drains and leaves the group within seconds on SIGTERM (nothing is stuck)', async () => {
    const started = Date.now();
    stack.router.kill('SIGTERM');
    const code = await stack.router.exited;
    const tookMs = Date.now() - started;
    expect(code).toBe(0);
    expect(stack.router.output()).toMatch(/consumer left the group/);
    expect(stack.router.output()).not.toMatch(/drain deadline reached/);
    expect(tookMs).toBeLessThan(5_000);
  });
});
