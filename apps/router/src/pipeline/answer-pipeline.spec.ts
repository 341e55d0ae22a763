import { InMemoryIdempotencyStore, OrderedSelector, Router } from '@switchyard/core';
import { makeArm, ManualClock, ScriptedProviders } from '@switchyard/core/testing';
import { DEFAULT_LIMITS, validateRequest, type RequestV1 } from '@switchyard/contracts';
import { AnswerPipeline } from './answer-pipeline';

function pipeline() {
  const clock = new ManualClock(1_700_000_000_000);
  const router = new Router({ arms: [makeArm('a')], providers: new ScriptedProviders(clock, {}), selector: new OrderedSelector(), clock });
  const store = new InMemoryIdempotencyStore(clock, { ttlMs: 60_000, maxEntries: 100 });
  return new AnswerPipeline(router, store, { responsesTopic: 'llm.responses' });
}

function request(id: string): RequestV1 {
  const decoded = validateRequest({ schemaVersion: 1, id, tenant: 't', messages: [{ role: 'user', content: 'hi' }] }, DEFAULT_LIMITS);
  if (!decoded.ok) throw new Error(decoded.message);
  return decoded.request;
}

describe('AnswerPipeline', () => {
  it('hands the edge the response object with the bytes it stores, fresh and replayed alike', async () => {
    const p = pipeline();
    const first = await p.answer({ request: request('r1') });
    expect(first.replayed).toBe(false);
    expect(first.response).toMatchObject({ id: 'r1', status: 'ok' });
    expect(JSON.parse(Buffer.from(first.answer.value).toString('utf8'))).toEqual(first.response);

    const again = await p.answer({ request: request('r1') });
    expect(again.replayed).toBe(true);
    expect(again.response).toEqual(first.response);
  });

  it('shares one routing between concurrent callers of one id, the second told it is a replay', async () => {
    const p = pipeline();
    const [a, b] = await Promise.all([p.answer({ request: request('r2') }), p.answer({ request: request('r2') })]);
    expect([a.replayed, b.replayed]).toEqual([false, true]);
    expect(b.response).toBe(a.response);
  });
});
