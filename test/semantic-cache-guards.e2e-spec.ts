import { createHash, randomBytes } from 'node:crypto';
import { request } from './support/kafka-io';
import { startJaeger, waitForTrace, type JaegerSpan, type JaegerTrace } from './support/jaeger';
import { Stack } from './support/stack';

/**
 * The semantic cache at its shipped defaults (`faq: { cache: { semantic: true } }`) with the
 * simulator's order- and function-word-aware embeddings: each pair of the table (a changed
 * direction, person, question word or entity) is a miss through the front door and over Kafka, a
 * reworded question is still a hit, and the hit's trace names the entry it served.
 */
const FRONTDOOR_KEY = 'sk-cache-guards-e2e';
const LONG = (city: string) =>
  `I ordered a winter coat last week for delivery to my flat in ${city} and the tracking page still says it is waiting at the regional depot, ` +
  'so how many more working days should I expect before it arrives at my door?';
const PAIRS: Array<[string, string, string]> = [
  ['How do I convert USD to EUR?', 'How do I convert EUR to USD?', 'order'],
  ['Who founded Apple?', 'When was Apple founded?', 'question'],
  ['Flights from Paris to London', 'Flights from London to Paris', 'order'],
  ['How much does John owe Mary?', 'How much does Mary owe John?', 'order'],
  ['What is your phone number?', 'What is my phone number?', 'person'],
  [LONG('Berlin'), LONG('Munich'), 'entity'],
];

interface CacheField {
  kind: string;
  similarity: number;
  entryKey: string;
  firstRequestId: string;
}

describe('semantic cache guards: near-misses miss, paraphrases hit, hits are auditable', () => {
  const stack = new Stack({
    prefix: 'cache-guards',
    seed: 26,
    models: [{ name: 'gpt-4o-mini', api: 'openai', outputTokens: 20, latency: { medianMs: 10, p95Ms: 20 } }],
    arms: [{ id: 'mini', provider: 'openai', model: 'gpt-4o-mini' }],
    tableYaml: ['cache:', '  mode: read-write', '  embeddings: { provider: openai, model: text-embedding-3-small }', 'classes:', '  faq: { cache: { semantic: true } }'].join('\n'),
  });
  const { topics } = stack;
  let jaeger: ReturnType<typeof startJaeger>;

  beforeAll(async () => {
    jaeger = startJaeger();
    await stack.start();
    await stack.startRouter({
      FRONTDOOR_API_KEYS: `acme:${createHash('sha256').update(FRONTDOOR_KEY).digest('hex')}`,
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      SWITCHYARD_TRACE_CONTENT: 'true',
    });
  }, 900_000); // a clean machine builds Jaeger first

  afterAll(async () => {
    await stack.stop();
    jaeger?.stop();
  });

  /** Over Kafka (tenant e2e), with a fresh trace id; returns the response and the trace id. */
  async function overKafka(id: string, question: string): Promise<{ servedFrom?: string; cache?: CacheField; traceId: string }> {
    const traceId = randomBytes(16).toString('hex');
    await stack.producer.send({
      topic: topics.requests,
      messages: [{ key: id, value: JSON.stringify(request(id, { class: 'faq', messages: [{ role: 'user', content: question }] })), headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } }],
    });
    await stack.responses.waitFor((c) => c.byKey().has(id), 30_000, `the answer to ${id}`);
    return { ...(stack.responses.byKey().get(id)![0].json as { servedFrom?: string; cache?: CacheField }), traceId };
  }

  /** Through the front door (tenant acme): Switchyard's account of the answer (`switchyard` field) and the cache header. */
  async function frontDoor(question: string): Promise<{ request_id: string; served_from?: string; cache?: CacheField; header: string | null }> {
    const res = await fetch(`http://127.0.0.1:${stack.router.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FRONTDOOR_KEY}`, 'content-type': 'application/json', 'x-switchyard-class': 'faq' },
      body: JSON.stringify({ model: 'switchyard/auto', messages: [{ role: 'user', content: question }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { switchyard: { request_id: string; served_from?: string; cache?: CacheField } };
    expect(body.switchyard.request_id).toEqual(expect.any(String));
    return { ...body.switchyard, header: res.headers.get('x-switchyard-cache') };
  }

  let firstFrontDoorAsker = '';

  const lookupEvent = (trace: JaegerTrace) => {
    const root = trace.spans.find((s: JaegerSpan) => s.operationName === 'switchyard.request');
    const log = root?.logs.find((l) => l.fields.some((f) => f.key === 'event' && f.value === 'switchyard.cache.lookup'));
    return log ? Object.fromEntries(log.fields.map((f) => [f.key, f.value])) : undefined;
  };

  it('misses each near-miss pair of the issue over Kafka and through the front door, and counts the miss by guard', async () => {
    for (const [i, [cached, asked]] of PAIRS.entries()) {
      expect((await overKafka(`pair-${i}-cached`, cached)).servedFrom).toBeUndefined();
      expect([i, (await overKafka(`pair-${i}-asked`, asked)).servedFrom]).toEqual([i, undefined]);
      const first = await frontDoor(cached);
      if (i === 0) firstFrontDoorAsker = first.request_id;
      expect(first.served_from).toBeUndefined();
      const asked2 = await frontDoor(asked);
      expect([i, asked2.served_from, asked2.header]).toEqual([i, undefined, null]);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();
    for (const guard of new Set(PAIRS.map(([, , g]) => g))) expect(metrics).toMatch(new RegExp(`switchyard_cache_guard_rejections_total\\{guard="${guard}"\\} [1-9]`));
  });

  it('serves a reworded question, names the entry and its first asker in the response, and the trace names the matched entry and question', async () => {
    const reworded = await overKafka('reworded', 'How can I convert USD to EUR?');
    expect(reworded).toMatchObject({ servedFrom: 'cache', cache: { kind: 'semantic', firstRequestId: 'pair-0-cached', entryKey: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    const viaFrontDoor = await frontDoor('how can i convert USD to EUR');
    // The front door's tenant has its own entry, first asked by its own request.
    expect(viaFrontDoor).toMatchObject({ served_from: 'cache', cache: { kind: 'semantic', firstRequestId: firstFrontDoorAsker, entryKey: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(viaFrontDoor.header).toMatch(/^semantic; /);

    const trace = await waitForTrace(jaeger.queryUrl, reworded.traceId, (t) => lookupEvent(t)?.['switchyard.cache.result'] === 'hit');
    expect(lookupEvent(trace)).toMatchObject({
      'switchyard.cache.kind': 'semantic',
      'switchyard.cache.entry_key': reworded.cache!.entryKey,
      'switchyard.cache.first_request_id': 'pair-0-cached',
      'switchyard.cache.question': 'How do I convert USD to EUR?',
    });
  });

  it('puts the guard that refused a close neighbour on the miss’s trace', async () => {
    expect((await overKafka('trains-cached', 'Trains from Boston to New York')).servedFrom).toBeUndefined();
    const swapped = await overKafka('trains-swapped', 'Trains from New York to Boston');
    expect(swapped.servedFrom).toBeUndefined();
    const trace = await waitForTrace(jaeger.queryUrl, swapped.traceId, (t) => lookupEvent(t) !== undefined);
    expect(lookupEvent(trace)).toMatchObject({ 'switchyard.cache.result': 'miss', 'switchyard.cache.rejected': 'order' });
  });
});
