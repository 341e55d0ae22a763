import { Router } from './router';
import { RouterEventBus, type RouterEvent } from './events/router-events';
import { OrderedSelector } from './routing/ordered-selector';
import type { RouteRequest } from './routing/route-request';
import { ManualClock, ScriptedProviders, makeArm, type ScriptedStep } from './testing';
import { settle } from './resilience/spec-support';

function request(overrides: Partial<RouteRequest> = {}): RouteRequest {
  return {
    id: 'req-1',
    tenant: 't1',
    class: 'default',
    messages: [{ role: 'user', content: 'hello' }],
    params: {},
    routing: { objective: 'balanced' },
    ...overrides,
  };
}

function setup(scripts: Record<string, ScriptedStep[]>, arms = [makeArm('a'), makeArm('b'), makeArm('c')]) {
  const clock = new ManualClock(1_000);
  const providers = new ScriptedProviders(clock, scripts);
  const events: RouterEvent[] = [];
  const bus = new RouterEventBus();
  bus.subscribe((e) => events.push(e));
  const router = new Router({ arms, providers, selector: new OrderedSelector(), clock, events: bus });
  return { clock, providers, router, events };
}

describe('Router (ordered arms)', () => {
  it('quotes the arm it would choose without calling it or emitting anything', () => {
    const { router, providers, events } = setup({});
    expect(router.quote(request())?.chosen.id).toBe('a');
    expect(router.quote(request({ routing: { objective: 'balanced', models: ['c'] } }))?.chosen.id).toBe('c');
    expect(router.quote(request({ routing: { objective: 'balanced', models: ['nope'] } }))).toBeUndefined();
    expect(providers.calls).toEqual([]);
    expect(events).toEqual([]);
  });

  it('answers from the first arm and reports one attempt with its cost', async () => {
    const { router } = setup({});
    const result = await router.route(request());
    expect(result.status).toBe('ok');
    expect(result.servedBy).toEqual({ arm: 'a', provider: 'sim', model: 'a' });
    expect(result.attempts).toHaveLength(1);
    // 100 input × $1/1M + 50 output × $2/1M
    expect(result.usage.costUsd).toBeCloseTo(0.0002, 10);
  });

  it('falls back to the next arm when the first fails, listing every attempt', async () => {
    const { router, providers } = setup({ a: [{ ok: false, kind: 'server_error', status: 503 }] });
    const result = await router.route(request());
    expect(result.status).toBe('ok');
    expect(result.servedBy?.arm).toBe('b');
    expect(result.attempts.map((a) => [a.arm, a.kind])).toEqual([
      ['a', 'server_error'],
      ['b', 'ok'],
    ]);
    expect(providers.calls.map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('tries every untried arm before retrying one, and fails with the last error kind when all fail', async () => {
    const failing: ScriptedStep[] = [{ ok: false, kind: 'server_error' }];
    const { router, providers, clock } = setup({ a: failing, b: failing, c: [{ ok: false, kind: 'rate_limited' }] });
    const result = await settle(clock, router.route(request()));
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('rate_limited');
    expect(result.error?.message).toMatch(/a: server_error/);
    // a and b once each (fallbacks first), then c up to the 5 attempts a 429 allows.
    expect(providers.calls.map((c) => c.arm)).toEqual(['a', 'b', 'c', 'c', 'c', 'c', 'c']);
  });

  it('honours routing.models and explains exclusions when nothing is eligible', async () => {
    const { router } = setup({});
    const result = await router.route(request({ routing: { objective: 'balanced', models: ['nope'] } }));
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('no_eligible_arm');
    expect(result.error?.message).toMatch(/a not in request routing.models/);
  });

  it('skips arms whose context window is too small for the prompt', async () => {
    const arms = [makeArm('small', { contextWindow: 100 }), makeArm('large')];
    const { router, events } = setup({}, arms);
    const result = await router.route(request({ messages: [{ role: 'user', content: 'x'.repeat(2_000) }] }));
    expect(result.servedBy?.arm).toBe('large');
    const decision = events.find((e) => e.type === 'decision');
    expect(decision?.type === 'decision' && decision.decision.excluded[0]).toMatchObject({ arm: 'small', reason: expect.stringMatching(/context window/) });
  });

  it('skips arms that cannot produce the requested maxTokens, and names the limit when none can', async () => {
    const arms = [makeArm('short', { maxOutputTokens: 1_000 }), makeArm('long', { maxOutputTokens: 16_000 })];
    const { router, events, providers } = setup({}, arms);
    const served = await router.route(request({ params: { maxTokens: 8_000 } }));
    expect(served.servedBy?.arm).toBe('long');
    const decision = events.find((e) => e.type === 'decision');
    expect(decision?.type === 'decision' && decision.decision.excluded[0]).toMatchObject({ arm: 'short', reason: 'max output 1000 tokens < requested maxTokens 8000' });

    const refused = await router.route(request({ id: 'req-2', params: { maxTokens: 50_000 } }));
    expect(refused.error).toMatchObject({ kind: 'no_eligible_arm', message: expect.stringMatching(/long max output 16000 tokens < requested maxTokens 50000/) });
    expect(providers.calls.filter((c) => c.requestId === 'req-2')).toHaveLength(0);
  });

  it('abandons a hung attempt at the request deadline as deadline_exceeded', async () => {
    const { router, clock } = setup({ a: [{ hang: true }] });
    const pending = router.route(request({ routing: { objective: 'balanced', deadlineMs: 5_000 } }));
    await clock.advance(5_000);
    const result = await pending;
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('deadline_exceeded');
    expect(result.attempts).toHaveLength(1);
    expect(result.latencyMs).toBe(5_000);
  });

  it('emits request, decision, attempt and finish events in order', async () => {
    const { router, events } = setup({ a: [{ ok: false, kind: 'network' }] });
    await router.route(request());
    expect(events.map((e) => e.type)).toEqual([
      'request.started',
      'decision',
      'attempt.started',
      'attempt.finished',
      'fallback',
      'decision',
      'attempt.started',
      'attempt.finished',
      // The answer came from a fallback arm: announced for the review stream.
      'fallback.answered',
      'request.finished',
    ]);
  });
});
