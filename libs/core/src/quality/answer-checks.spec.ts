import { Router } from '../router';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import type { QualityObservation } from '../outcome/quality-observation';
import { OrderedSelector } from '../routing/ordered-selector';
import type { RouteRequest } from '../routing/route-request';
import { makeArm, ManualClock, ScriptedProviders, type ScriptedStep } from '../testing';
import { AnswerChecks, type JsonSchemaValidator } from './answer-checks';

function request(overrides: Partial<RouteRequest> = {}): RouteRequest {
  return { id: 'q1', tenant: 't', class: 'extraction', messages: [{ role: 'user', content: 'extract' }], params: {}, routing: { objective: 'balanced' }, ...overrides };
}

/** A strict fake validator: the schema's `required` keys must be present. */
const requiredKeys: JsonSchemaValidator = {
  validate: (schema, value) => {
    const missing = ((schema.required as string[] | undefined) ?? []).filter((k) => typeof value !== 'object' || value === null || !(k in value));
    return missing.length ? `missing ${missing.join(', ')}` : undefined;
  },
};

describe('AnswerChecks', () => {
  const checks = new AnswerChecks({ json: requiredKeys, classes: { extraction: { regex: '\\d', refusalPatterns: ['^no can do'] } } });
  const failed = (text: string, finish: 'stop' | 'length' = 'stop', r = request()) => checks.run(r, text, finish).map((f) => f.check);

  it('passes a good answer', () => {
    expect(failed('order 42 shipped')).toEqual([]);
  });

  it('fails empty, cut, refusal (default and per-class patterns) and the class regex', () => {
    expect(failed('   ')).toEqual(['empty', 'regex']);
    expect(failed('order 42 shipped', 'length')).toEqual(['cut']);
    expect(failed("I'm sorry, but I can't help with that 1")).toEqual(['refusal']);
    expect(failed('As an AI language model I think 7')).toEqual(['refusal']);
    expect(failed('No can do 9')).toEqual(['refusal']);
    expect(failed('no digits here')).toEqual(['regex']);
  });

  it('checks JSON when JSON was asked for, and the schema through the validator port', () => {
    const json = request({ params: { responseFormat: { type: 'json_object' } } });
    expect(failed('{"id": 1}', 'stop', json)).toEqual([]);
    expect(failed('```json\n{"id": 1}\n```', 'stop', json)).toEqual([]);
    expect(failed('Sure! {"id": 1', 'stop', json)).toEqual(['json']);
    const schema = request({ params: { responseFormat: { type: 'json_schema', schema: { required: ['id', 'total'] } } } });
    expect(checks.run(schema, '{"id": 1}', 'stop')).toEqual([{ check: 'schema', detail: expect.stringMatching(/missing total/) }]);
  });
});

describe('Router with answer checks', () => {
  function setup(scripts: Record<string, ScriptedStep[]>, rejectOnFailure: boolean) {
    const clock = new ManualClock(0);
    const events: RouterEvent[] = [];
    const bus = new RouterEventBus();
    bus.subscribe((e) => events.push(e));
    const observed: QualityObservation[] = [];
    const router = new Router({
      arms: [makeArm('a'), makeArm('b')],
      providers: new ScriptedProviders(clock, scripts),
      selector: new OrderedSelector(),
      clock,
      events: bus,
      answerChecks: new AnswerChecks({ json: requiredKeys, classes: { extraction: { rejectOnFailure } } }),
      qualitySinks: [{ recordQuality: (o) => observed.push(o) }],
    });
    return { router, events, observed };
  }
  const asksJson = request({ params: { responseFormat: { type: 'json_schema', schema: { required: ['id'] } } } });

  it('publishes an answer that fails a check when the class does not reject, and learns a 0 for the arm', async () => {
    const { router, observed } = setup({ a: [{ ok: true, text: '' }] }, false);
    const result = await router.route(request());
    expect(result).toMatchObject({ status: 'ok', servedBy: { arm: 'a' }, output: { text: '' } });
    expect(observed).toEqual([expect.objectContaining({ arm: 'a', requestClass: 'extraction', score: 0, kind: 'check', source: 'empty' })]);
  });

  it('never publishes an answer that fails the JSON mode the request asked for, even when the class does not reject', async () => {
    const { router, observed } = setup({ a: [{ ok: true, text: 'not json' }], b: [{ ok: true, text: '{"id": 7}' }] }, false);
    const result = await router.route(asksJson);
    expect(result).toMatchObject({ status: 'ok', servedBy: { arm: 'b' }, output: { text: '{"id": 7}' } });
    expect(observed).toEqual([expect.objectContaining({ arm: 'a', score: 0, source: 'json' }), expect.objectContaining({ arm: 'b', score: 1 })]);
  });

  it('rejects the answer and falls back before publishing when the class says so; the rejected attempt is marked', async () => {
    const { router, events, observed } = setup({ a: [{ ok: true, text: '{"name": "x"}' }], b: [{ ok: true, text: '{"id": 7}' }] }, true);
    const result = await router.route(asksJson);
    expect(result).toMatchObject({ status: 'ok', servedBy: { arm: 'b' }, output: { text: '{"id": 7}' } });
    expect(result.attempts.map((a) => [a.arm, a.kind, a.role ?? 'first', a.rejectedBy])).toEqual([
      ['a', 'ok', 'first', ['schema']],
      ['b', 'ok', 'check_fallback', undefined],
    ]);
    expect(observed.map((o) => [o.arm, o.score])).toEqual([
      ['a', 0],
      ['b', 1],
    ]);
    expect(events.filter((e) => e.type === 'answer.checked').map((e) => e.type === 'answer.checked' && e.rejected)).toEqual([true, false]);
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'a', to: 'b', reason: expect.stringMatching(/failed the schema check/) });
  });

  it('fails with check_failed, never a rejected answer, when no arm passes', async () => {
    const { router } = setup({ a: [{ ok: true, text: 'nope' }], b: [{ ok: true, text: '' }] }, true);
    const result = await router.route(asksJson);
    expect(result).toMatchObject({ status: 'failed', error: { kind: 'check_failed' } });
    expect(result.output).toBeUndefined();
  });
});
