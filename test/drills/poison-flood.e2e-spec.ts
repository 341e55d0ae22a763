import { randomBytes } from 'node:crypto';
import { request } from '../support/kafka-io';
import { singleArm, useStack } from '../support/stack';

interface DlqJson {
  reason: string;
  message: string;
  source: { keyBase64: string | null };
  valueBase64: string;
  valueBytes: number;
}

type Bad = { key: string; value: Buffer | null; reason: string };

/** Six kinds of poison, by index: each a message that must land in the DLQ with this reason. */
function poison(i: number, maxBytes: number): Bad {
  const key = `bad-${i}`;
  switch (i % 6) {
    case 0: // not JSON
      return { key, value: Buffer.from(`{"schemaVersion":1,"id":"${key}",`), reason: 'invalid_json' };
    case 1: // binary, not UTF-8
      return { key, value: Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), randomBytes(61)]), reason: 'undecodable' };
    case 2: // over ROUTER_MAX_MESSAGE_BYTES
      return { key, value: Buffer.from(JSON.stringify(request(key, { messages: [{ role: 'user', content: 'x'.repeat(maxBytes) }] }))), reason: 'oversize' };
    case 3: // JSON, but not a request
      return { key, value: Buffer.from(JSON.stringify({ schemaVersion: 1, tenant: 'e2e', messages: 'hello' })), reason: 'schema' };
    case 4: // a request over ROUTER_MAX_MESSAGES
      return { key, value: Buffer.from(JSON.stringify(request(key, { messages: Array.from({ length: 9 }, () => ({ role: 'user' as const, content: 'hi' })) }))), reason: 'limits' };
    default: // tombstone
      return { key, value: null, reason: 'undecodable' };
  }
}

/**
 * Drill: 10,000 malformed, oversize, binary, schema-invalid, over-limit and empty messages mixed
 * with 500 valid requests. Every bad one is in the DLQ once, with its reason and its original
 * bytes; every valid one is answered; every over-limit request that names its caller gets a
 * `limits` failure response.
 */
describe('drill: poison flood', () => {
  const stack = useStack({
    prefix: 'drill-poison',
    seed: 25,
    ...singleArm({ medianMs: 20, p95Ms: 40 }),
    extraTopics: (t) => [`${t.tag}.outcomes`],
    collectDlq: true,
  });
  const { topics } = stack;
  const MAX_BYTES = 2048;

  it('dead-letters every bad message with its reason and answers every valid one', async () => {
    await stack.startRouter({ ROUTER_MAX_MESSAGE_BYTES: String(MAX_BYTES), ROUTER_MAX_MESSAGES: '4' });
    const bad = Array.from({ length: 10_000 }, (_, i) => poison(i, MAX_BYTES));
    const valid = Array.from({ length: 500 }, (_, i) => `ok-${i}`);
    // One valid request after every 20 bad ones.
    const messages: Array<{ key: string; value: Buffer | string | null }> = [];
    bad.forEach((b, i) => {
      messages.push({ key: b.key, value: b.value });
      if (i % 20 === 19) messages.push({ key: valid[(i - 19) / 20], value: JSON.stringify(request(valid[(i - 19) / 20])) });
    });
    const started = Date.now();
    for (let i = 0; i < messages.length; i += 1_000) await stack.producer.send({ topic: topics.requests, messages: messages.slice(i, i + 1_000) });

    await stack.dlq.waitFor((c) => c.distinctKeys() >= bad.length, 60_000, 'every bad message in the DLQ');
    // A decodable request over a limit names its caller (id + tenant): the caller hears back too.
    const refused = bad.filter((b) => b.reason === 'oversize' || b.reason === 'limits').map((b) => b.key);
    await stack.responses.waitFor((c) => c.distinctKeys() >= valid.length + refused.length, 60_000, 'every valid request answered, every refused caller told');
    process.stderr.write(`[drill poison] ${messages.length} messages through in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    const byKey = new Map<string, DlqJson[]>();
    for (const r of stack.dlq.records) {
      const record = r.json as unknown as DlqJson;
      const key = record.source.keyBase64 === null ? '' : Buffer.from(record.source.keyBase64, 'base64').toString();
      byKey.set(key, [...(byKey.get(key) ?? []), record]);
    }
    const wrong: string[] = [];
    for (const b of bad) {
      const records = byKey.get(b.key) ?? [];
      const [record] = records;
      const original = b.value ?? Buffer.alloc(0);
      if (records.length !== 1) wrong.push(`${b.key}: ${records.length} DLQ records`);
      else if (record.reason !== b.reason) wrong.push(`${b.key}: reason ${record.reason}, expected ${b.reason} (${record.message})`);
      else if (!Buffer.from(record.valueBase64, 'base64').equals(original) || record.valueBytes !== original.length) wrong.push(`${b.key}: original bytes not kept`);
      else if (!record.message) wrong.push(`${b.key}: no message`);
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    expect(stack.dlq.records).toHaveLength(bad.length);
    // Nothing valid went to the DLQ, and every valid request has its answer.
    expect(valid.filter((id) => byKey.has(id))).toEqual([]);
    const answers = stack.responses.byKey();
    expect(valid.filter((id) => (answers.get(id)?.[0].json as { status?: string } | undefined)?.status !== 'ok')).toEqual([]);
    expect(refused.filter((id) => (answers.get(id)?.[0].json as { error?: { kind?: string } } | undefined)?.error?.kind !== 'limits')).toEqual([]);
    expect(answers.size).toBe(valid.length + refused.length);
  });
});
