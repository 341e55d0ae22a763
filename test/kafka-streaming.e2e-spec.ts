import { publishRaw, request, TopicCollector } from './support/kafka-io';
import { PRIMARY_SECONDARY, Stack } from './support/stack';

/**
 * A Kafka request with `stream: true` gets its answer's pieces as stream chunk records on the
 * stream topic (keyed by request id, in order), then the response on the responses topic as
 * always — also when the first arm breaks off mid-stream and another continues the answer.
 */
describe('Kafka streaming: chunks on the stream topic, then the answer', () => {
  const stack = new Stack({ prefix: 'kstream', sim: { latencyScale: 0.02, seed: 3 }, arms: PRIMARY_SECONDARY, extraTopics: (t) => [t.env().TOPIC_STREAM], router: {} });
  const { topics } = stack;
  const streamTopic = topics.env().TOPIC_STREAM;
  let chunks: TopicCollector;
  beforeAll(async () => {
    await stack.start();
    chunks = await stack.collect(streamTopic);
  });
  afterAll(() => stack.stop());

  async function streamed(id: string): Promise<{ text: string; deltas: string[]; servedBy: unknown }> {
    await publishRaw(stack.producer, topics.requests, [{ key: id, value: JSON.stringify(request(id, { stream: true })) }]);
    await stack.responses.waitFor((c) => c.byKey().has(id), 30_000, `the response to ${id}`);
    const response = stack.responses.byKey().get(id)![0].json as { status: string; output: { text: string }; servedBy: unknown };
    expect(response.status).toBe('ok');
    const mine = chunks.records.filter((r) => r.key === id).map((r) => r.json as { id: string; seq: number; delta: string });
    expect(mine.map((c) => c.seq)).toEqual(mine.map((_, i) => i));
    return { text: response.output.text, deltas: mine.map((c) => c.delta), servedBy: response.servedBy };
  }

  it('publishes every piece in order before the answer; joined they are the answer', async () => {
    const { text, deltas } = await streamed('kstream-1');
    expect(deltas.length).toBeGreaterThan(10);
    expect(deltas.join('')).toBe(text);
  });

  it('continues on another arm after a mid-stream failure without repeating a piece', async () => {
    stack.sim.patchModel('gpt-4o-mini', { faults: { streamCut: { afterTokens: 5, mode: 'fail' } } });
    const { text, deltas, servedBy } = await streamed('kstream-2');
    expect(servedBy).toMatchObject({ arm: 'secondary' });
    expect(deltas.join('')).toBe(text);
    // The first five pieces are the primary's, then the secondary's continuation.
    expect(deltas.length).toBeGreaterThan(5);
  });

  it('sends no chunks for a request without stream: true', async () => {
    await publishRaw(stack.producer, topics.requests, [{ key: 'kstream-3', value: JSON.stringify(request('kstream-3')) }]);
    await stack.responses.waitFor((c) => c.byKey().has('kstream-3'), 30_000, 'the response');
    expect(chunks.records.filter((r) => r.key === 'kstream-3')).toEqual([]);
  });
});
