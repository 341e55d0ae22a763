import { publishRaw, request } from './support/kafka-io';
import { PRIMARY_SECONDARY, useStack } from './support/stack';

/**
 * The real pipeline: a Kafka broker, the router as a process, provider-sim over HTTP through the
 * official SDKs. 1,000 valid requests with 50 malformed messages interleaved.
 */
describe('pipeline: Kafka in, provider call, Kafka out', () => {
  const stack = useStack({
    prefix: 'pipeline',
    sim: { latencyScale: 0.02, seed: 7 },
    arms: PRIMARY_SECONDARY,
    collectDlq: true,
    router: { ROUTER_MAX_MESSAGE_BYTES: '65536' },
  });
  const { topics } = stack;

  const malformed: Array<{ reason: string; value: Buffer | null }> = [
    { reason: 'invalid_json', value: Buffer.from('{"schemaVersion":1,"id":') },
    { reason: 'undecodable', value: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x9f]) },
    { reason: 'schema', value: Buffer.from(JSON.stringify({ schemaVersion: 1, id: 'no-tenant', messages: [{ role: 'user', content: 'x' }] })) },
    { reason: 'oversize', value: Buffer.from(JSON.stringify(request('big', { messages: [{ role: 'user', content: 'x'.repeat(70_000) }] }))) },
    { reason: 'undecodable', value: null },
  ];

  it('answers 1,000 requests once each and sends 50 malformed messages to the DLQ with reason and bytes', async () => {
    const messages: Array<{ key: string | null; value: Buffer | string | null }> = [];
    const expectedDlq: Array<{ reason: string; value: Buffer | null }> = [];
    for (let i = 0; i < 1_000; i++) {
      const id = `p-${i}`;
      messages.push({ key: id, value: JSON.stringify(request(id)) });
      if (i % 20 === 19) {
        const bad = malformed[expectedDlq.length % malformed.length];
        expectedDlq.push(bad);
        messages.push({ key: `bad-${expectedDlq.length}`, value: bad.value });
      }
    }
    expect(expectedDlq).toHaveLength(50);
    await publishRaw(stack.producer, topics.requests, messages);

    await stack.responses.waitFor((c) => c.distinctKeys() >= 1_000, 120_000, '1,000 responses');
    await stack.dlq.waitFor((c) => c.records.length >= 50, 60_000, '50 DLQ records');

    // The oversize request names its caller ('big', tenant e2e): it is told, once per copy sent.
    await stack.responses.waitFor((c) => (c.byKey().get('big')?.length ?? 0) >= 10, 30_000, 'failure responses for the oversize request');
    const byKey = stack.responses.byKey();
    for (const record of byKey.get('big')!) expect(record.json).toMatchObject({ id: 'big', status: 'failed', error: { kind: 'limits' } });
    byKey.delete('big');
    expect(byKey.size).toBe(1_000);
    for (const [id, records] of byKey) {
      expect(records).toHaveLength(1);
      expect(records[0].json).toMatchObject({ schemaVersion: 1, id, tenant: 'e2e', status: 'ok', servedBy: { arm: 'primary' } });
    }
    // Exactly one provider call per request id: no hidden SDK retries, no double processing.
    const calls = stack.sim.calls().filter((c) => c.requestId?.startsWith('p-'));
    expect(calls).toHaveLength(1_000);
    expect(new Set(calls.map((c) => c.requestId)).size).toBe(1_000);

    const reasons = stack.dlq.records.map((r) => r.json.reason).sort();
    expect(reasons).toEqual(expectedDlq.map((d) => d.reason).sort());
    for (const record of stack.dlq.records) {
      const original = expectedDlq.find((d) => d.reason === record.json.reason && Buffer.from(String(record.json.valueBase64), 'base64').equals(d.value ?? Buffer.alloc(0)));
      expect(original).toBeDefined();
      expect(record.json.message).toEqual(expect.any(String));
      expect(record.json.source).toMatchObject({ topic: topics.requests, partition: expect.any(Number), offset: expect.any(String) });
    }
    const schemaRecord = stack.dlq.records.find((r) => r.json.reason === 'schema');
    expect(schemaRecord?.json.message).toMatch(/tenant/);
    expect(schemaRecord?.json.requestId).toBe('no-tenant');
  });

  it('answers a duplicate id again byte for byte without a new provider call', async () => {
    const id = 'p-7';
    const before = stack.sim.calls().filter((c) => c.requestId === id).length;
    await publishRaw(stack.producer, topics.requests, [{ key: id, value: JSON.stringify(request(id)) }]);
    await stack.responses.waitFor((c) => (c.byKey().get(id)?.length ?? 0) >= 2, 30_000, 'the re-published answer');
    const [first, second] = stack.responses.byKey().get(id)!;
    expect(second.value.equals(first.value)).toBe(true);
    expect(stack.sim.calls().filter((c) => c.requestId === id)).toHaveLength(before);
  });

  it('reports live and ready with the consumer state', async () => {
    const live = await fetch(`http://127.0.0.1:${stack.router.port}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${stack.router.port}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { details: { consumer: { status: string; assignedPartitions: number[] } } };
    expect(body.details.consumer.status).toBe('up');
    expect(body.details.consumer.assignedPartitions).toHaveLength(6);
  });
});
