import fc from 'fast-check';
import { eventually, groupLag } from './support/drills';
import { publishRaw } from './support/kafka-io';
import { useStack } from './support/stack';

/** `depth` levels of `open`, the innermost value, `depth` levels of `close`: written as text (JSON.stringify overflows first). */
const nested = (depth: number, open: string, inner: string, close: string) => open.repeat(depth) + inner + close.repeat(depth);

/** A request record's JSON text around the given params / messages / extra members (all JSON text). */
function requestText(id: string, parts: { content?: string; params?: string; extra?: string; tenant?: string; cls?: string }): string {
  const content = parts.content ?? JSON.stringify(`question ${id}`);
  return `{"schemaVersion":1,"id":${JSON.stringify(id)},"tenant":${JSON.stringify(parts.tenant ?? 'e2e')}${parts.cls ? `,"class":${JSON.stringify(parts.cls)}` : ''},"messages":[{"role":"user","content":${content}}]${parts.params ? `,"params":${parts.params}` : ''}${parts.extra ? `,${parts.extra}` : ''}}`;
}

/** Strings that break naive code: lone surrogates, NUL, bidi overrides, BOM, long astral runs. */
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.constantFrom('\ud800', '\udfff', 'a\ud800b', '\u0000', '\u202e\u2066evil', '\ufeff', '𝕊'.repeat(5_000), '\u0301'.repeat(2_000)),
);

/** One hostile record: its Kafka value (text or raw bytes; "ID" is replaced by its key) and how deep it nests, when that is the point. */
type Hostile = { kind: string; value: string | Buffer; depth?: number };

const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  fc.integer({ min: 1, max: 6_000 }).map((d) => ({ kind: 'deep-schema', depth: 2 * d, value: requestText('ID', { params: `{"responseFormat":{"type":"json_schema","schema":${nested(d, '{"type":"object","properties":{"a":', '{}', '}}')}}}` }) })),
  fc.integer({ min: 1, max: 6_000 }).map((d) => ({ kind: 'deep-tool', depth: d, value: requestText('ID', { params: `{"tools":[{"name":"f","parameters":{"x":${nested(d, '[', '1', ']')}}}]}` }) })),
  fc.integer({ min: 1, max: 6_000 }).map((d) => ({ kind: 'deep-metadata', depth: d, value: requestText('ID', { extra: `"metadata":${nested(d, '{"k":', '"v"', '}')}` }) })),
  fc.integer({ min: 1, max: 20_000 }).map((w) => ({ kind: 'wide', value: requestText('ID', { extra: `"metadata":{${Array.from({ length: w }, (_, i) => `"k${i}":"v"`).join(',')}}` }) })),
  oddString.map((s) => ({ kind: 'odd-content', value: requestText('ID', { content: JSON.stringify(s) }) })),
  oddString.map((s) => ({ kind: 'odd-class-tenant', value: requestText('ID', { cls: s, tenant: s }) })),
  fc.constantFrom('1e400', '-1e400', '1e20', '123456789012345678901234567890', '-0', '5e-324').map((n) => ({ kind: 'huge-number', value: requestText('ID', { params: `{"temperature":${n},"maxTokens":${n},"tools":[{"name":"f","parameters":{"n":${n}}}]}` }) })),
  fc.constantFrom('"params":{"__proto__":{"maxTokens":5}}', '"metadata":{"__proto__":"x","constructor":"y"}', '"routing":{"constructor":{"prototype":{}}}', '"__proto__":{"tenant":"other"}').map((extra) => ({ kind: 'proto-keys', value: requestText('ID', { extra }) })),
  fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: 'not-a-request', value: JSON.stringify(v) ?? 'null' })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ kind: 'bytes', value: Buffer.from(b) })),
);

/**
 * Hostile input through the whole Kafka path and the front door of one router process: deep,
 * wide, huge, odd-Unicode and prototype-polluting JSON, bytes that are not JSON. Every record is
 * answered or dead-lettered, the consumer group's lag returns to 0, the front door answers each
 * body with 200 or a 4xx in OpenAI's shape, and invented classes and tenants add no metric series.
 */
describe('hostile input: nothing blocks a partition, every record is answered or dead-lettered', () => {
  const stack = useStack({
    prefix: 'hostile',
    sim: { latencyScale: 0.02, seed: 20 },
    arms: [{ id: 'primary', provider: 'openai', model: 'gpt-4o-mini' }],
    tableYaml: ['classes:', '  support: { valueUsd: 0.05 }', 'budgets:', '  tenants:', '    acme: { day: 100 }'].join('\n'),
    collectDlq: true,
    router: { FRONTDOOR_ALLOW_UNAUTHENTICATED: 'true' },
  });
  const { topics } = stack;
  const url = (path: string) => `http://127.0.0.1:${stack.router.port}${path}`;
  const metrics = async () => (await fetch(url('/metrics'))).text();

  const dlqOfKey = (key: string) => stack.dlq.records.find((r) => Buffer.from(String(r.json.source && (r.json.source as { keyBase64: string }).keyBase64), 'base64').toString() === key);

  it('dead-letters a record nested 5,000 levels as limits and answers the next record on its partition', async () => {
    // One key: both records land on one partition, in order.
    const deep = requestText('deep-5000', { params: `{"responseFormat":{"type":"json_schema","schema":${nested(5_000, '{"type":"object","properties":{"a":', '{}', '}}')}}}` });
    await publishRaw(stack.producer, topics.requests, [
      { key: 'one-partition', value: deep },
      { key: 'one-partition', value: requestText('after-deep', {}) },
    ]);
    await stack.responses.waitFor((c) => c.records.some((r) => r.key === 'after-deep'), 20_000, 'the record after the deep one answered');
    expect(stack.responses.records.find((r) => r.key === 'after-deep')!.json).toMatchObject({ status: 'ok' });
    expect(stack.responses.records.find((r) => r.key === 'deep-5000')!.json).toMatchObject({ status: 'failed', error: { kind: 'limits', message: expect.stringContaining('ROUTER_MAX_JSON_DEPTH') } });
    await stack.dlq.waitFor(() => dlqOfKey('one-partition') !== undefined, 10_000, 'the deep record in the DLQ');
    expect(dlqOfKey('one-partition')!.json).toMatchObject({ reason: 'limits', requestId: 'deep-5000' });
  });

  it('answers or dead-letters every generated hostile record, and the lag returns to 0', async () => {
    const records = fc.sample(hostile, { numRuns: 60, seed: 2026 }).map((h, i) => {
      const key = `h-${i}-${h.kind}`;
      return { key, kind: h.kind, depth: h.depth, value: typeof h.value === 'string' ? h.value.replace('"ID"', JSON.stringify(key)) : h.value };
    });
    // One send each: a batch of wide records could pass the broker's 1 MiB batch limit.
    for (const r of records) await publishRaw(stack.producer, topics.requests, [{ key: r.key, value: r.value }]);
    const settled = (key: string) => stack.responses.records.some((r) => r.key === key) || dlqOfKey(key) !== undefined;
    await eventually(() => records.every((r) => settled(r.key)), 40_000, `every hostile record answered or dead-lettered (missing: ${records.filter((r) => !settled(r.key)).map((r) => r.key).join(', ')})`);
    // A nesting past the limit is always refused as limits, whatever field carries it.
    // The request object and its members add a few levels: anything this deep is past the default 64.
    // The caller's refusal response and the DLQ record are two writes: wait for the DLQ side too.
    const deep = records.filter((x) => (x.depth ?? 0) > 64);
    await eventually(() => deep.every((r) => dlqOfKey(r.key) !== undefined), 10_000, 'every deep record in the DLQ');
    for (const r of deep) expect(dlqOfKey(r.key)?.json).toMatchObject({ reason: 'limits' });
    await eventually(async () => (await groupLag(stack.kafka, `${topics.tag}-router`, topics.requests)).every((lag) => lag === 0), 30_000, 'consumer lag back to 0');
    expect(stack.dlq.records.some((r) => r.json.reason === 'internal')).toBe(false);
  });

  it('answers every generated hostile body at the front door with 200 or a 4xx in OpenAI error shape', async () => {
    const bodies = fc.sample(
      fc.oneof(
        fc.integer({ min: 1, max: 6_000 }).map((d) => `{"model":"switchyard/auto","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":${nested(d, '{"type":"object","properties":{"a":', '{}', '}}')}}}}`),
        fc.integer({ min: 1, max: 6_000 }).map((d) => `{"model":"switchyard/auto","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"x":${nested(d, '[', '1', ']')}}}}]}`),
        oddString.map((s) => JSON.stringify({ model: 'switchyard/auto', messages: [{ role: 'user', content: s }] })),
        oddString.map((s) => JSON.stringify({ model: s, messages: [{ role: 'user', content: 'hi' }] })),
        fc.constantFrom('{"__proto__":{"model":"x"},"model":"switchyard/auto","messages":[{"role":"user","content":"hi"}]}', '{"model":"switchyard/auto","messages":[{"role":"user","content":"hi"}],"temperature":1e400}'),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
      ),
      { numRuns: 40, seed: 7 },
    );
    for (const body of bodies) {
      const res = await fetch(url('/v1/chat/completions'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { error?: { message: string; type: string; code: string | null } };
      if (res.status === 200) continue;
      if (res.status < 400 || res.status >= 500) throw new Error(`HTTP ${res.status} for the body ${body.slice(0, 200)}: ${JSON.stringify(json).slice(0, 300)}`);
      expect(json.error).toEqual(expect.objectContaining({ message: expect.any(String), type: 'invalid_request_error' }));
    }
    const deep = await fetch(url('/v1/chat/completions'), { method: 'POST', body: `{"model":"switchyard/auto","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${nested(5_000, '{"a":', '1', '}')}}}]}` });
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { code: 'request_too_large', message: expect.stringContaining('ROUTER_MAX_JSON_DEPTH') } });
  });

  it('counts invented classes and tenants under one other label: 30 of them add no series to /metrics', async () => {
    await publishRaw(stack.producer, topics.requests, [{ key: 'known-1', value: requestText('known-1', { cls: 'support', tenant: 'acme' }) }]);
    await stack.responses.waitFor((c) => c.records.some((r) => r.key === 'known-1'), 20_000, 'the known class answered');
    // The series a class or tenant label can multiply (others may appear for unrelated reasons, e.g. a retry).
    const seriesOf = (text: string) => text.split('\n').filter((l) => l.startsWith('switchyard_') && /\b(class|tenant)="/.test(l)).map((l) => l.replace(/ [^ ]+$/, ''));
    await publishRaw(stack.producer, topics.requests, [{ key: 'inv-0', value: requestText('inv-0', { cls: 'invented-0', tenant: 'tenant-0' }) }]);
    await stack.responses.waitFor((c) => c.records.some((r) => r.key === 'inv-0'), 20_000, 'the first invented class answered');
    const before = new Set(seriesOf(await metrics()));
    const invented = Array.from({ length: 30 }, (_, i) => `inv-${i + 1}`);
    await publishRaw(stack.producer, topics.requests, invented.map((id, i) => ({ key: id, value: requestText(id, { cls: `invented-${i + 1}`, tenant: `tenant-${i + 1}` }) })));
    await stack.responses.waitFor((c) => invented.every((id) => c.records.some((r) => r.key === id)), 20_000, 'the invented classes answered');
    const text = await metrics();
    expect(seriesOf(text).filter((s) => !before.has(s))).toEqual([]);
    expect(Number(/switchyard_requests_total\{status="ok",class="other",error_kind="none"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(31);
    expect(text).toMatch(/switchyard_requests_total\{status="ok",class="support",error_kind="none"\} [1-9]/);
    expect(text).not.toMatch(/invented-|tenant-\d/);
  });
});
