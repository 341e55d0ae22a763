import { AnswerChecks } from '../quality/answer-checks';
import { makeArm } from '../testing/fake-provider';
import { RetryBudget } from './retry-budget';
import { request, settle, setupRouter } from './spec-support';

const rateLimited = (retryAfterMs: number) => ({ ok: false as const, kind: 'rate_limited' as const, retryAfterMs, status: 429 });
const refused = { ok: false as const, kind: 'auth' as const, status: 401 };

describe('a 429 cooldown', () => {
  it('fails a request whose only arm cools down past its deadline as rate_limited, retryable, with the wait left', async () => {
    const { router, clock, providers } = setupRouter({ a: [rateLimited(5_000)] }, [makeArm('a')]);
    await settle(clock, router.route(request({ id: 'first' }, { deadlineMs: 1_000 })));
    await clock.advance(1_000);
    const result = await settle(clock, router.route(request({ id: 'second' }, { deadlineMs: 2_000 })));
    expect(providers.calls).toHaveLength(1);
    expect(result.attempts).toEqual([]);
    expect(result.error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 4_000 });
    expect(result.error?.message).toMatch(/cools down after a 429 for another 4000 ms: that is past the request deadline/);
  });

  it('is waited for by a request arriving during it when it ends within the deadline, then the arm is called', async () => {
    const { router, clock, providers, ofType } = setupRouter({ a: [rateLimited(3_000), { ok: true }] }, [makeArm('a')]);
    await settle(clock, router.route(request({ id: 'first' }, { deadlineMs: 1_000 })));
    await clock.advance(1_000);
    const result = await settle(clock, router.route(request({ id: 'second' })));
    expect(result.status).toBe('ok');
    expect(result.attempts.map((a) => [a.kind, a.role])).toEqual([['ok', 'first']]);
    expect(providers.calls[1].at - providers.calls[0].at).toBe(3_000);
    expect(ofType('retry.scheduled').at(-1)).toMatchObject({ requestId: 'second', arm: 'a', delayMs: 2_000, reason: expect.stringMatching(/^rate_limited/) });
  });

  it('treats concurrent requests to the cooling arm alike: each waits for the cooldown and makes one call', async () => {
    const { router, clock, providers } = setupRouter({ a: [rateLimited(2_000), { ok: true }] }, [makeArm('a')]);
    const first = router.route(request({ id: 'r0' }));
    await clock.advance(1);
    const others = [1, 2, 3, 4].map((i) => router.route(request({ id: `r${i}` })));
    const results = await settle(clock, Promise.all([first, ...others]));
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(results.slice(1).map((r) => r.attempts.length)).toEqual([1, 1, 1, 1]);
    // None of them called the arm while it cooled down.
    expect(providers.calls.slice(1).every((c) => c.at >= providers.calls[0].at + 2_000)).toBe(true);
  });

  it('is not waited for when the retry budget is spent: rate_limited at once, with retryAfterMs', async () => {
    const { router, clock, providers } = setupRouter({ a: [rateLimited(2_000), { ok: true }] }, [makeArm('a')], (clock) => ({
      retryBudget: new RetryBudget(clock, { ratio: 0, minRetriesPerSecond: 0, bucketMs: 10_000, windowMs: 60_000 }),
    }));
    await settle(clock, router.route(request({ id: 'first' })));
    const result = await settle(clock, router.route(request({ id: 'second' })));
    expect(providers.calls).toHaveLength(1);
    expect(result.error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 2_000, message: expect.stringMatching(/retry budget spent/) });
  });

  it('sends requests to another arm first instead of waiting', async () => {
    const { router, clock, providers } = setupRouter({ a: [rateLimited(5_000)] }, [makeArm('a'), makeArm('b')]);
    await settle(clock, router.route(request({ id: 'first' })));
    const result = await settle(clock, router.route(request({ id: 'second' })));
    expect(result.servedBy?.arm).toBe('b');
    expect(providers.calls.at(-1)?.at).toBe(1_000);
  });

  it('is never reported as circuit_open: only an open breaker is', async () => {
    const { router, clock } = setupRouter({ a: [{ ok: false, kind: 'server_error' }] }, [makeArm('a')], {
      resilience: { retry: { perKind: { server_error: { maxAttempts: 1, backoff: { baseMs: 1, factor: 1, capMs: 1 } } } } },
    });
    for (let i = 0; i < 5; i++) await settle(clock, router.route(request({ id: `fail-${i}` })));
    const result = await settle(clock, router.route(request({ id: 'after' })));
    expect(router.breakers.stateOf('a').state).toBe('open');
    expect(result.error).toMatchObject({ kind: 'circuit_open', retryable: false });
  });
});

describe('JSON mode is a contract', () => {
  const json = { params: { responseFormat: { type: 'json_object' as const } } };
  const checks = () => new AnswerChecks({ classes: {} });

  it('falls back from an arm that answers text to one that answers JSON, even for a class that does not reject', async () => {
    const { router, clock } = setupRouter({ a: [{ ok: true, text: 'Sure! Here you go.' }], b: [{ ok: true, text: '{"ok":true}' }] }, [makeArm('a'), makeArm('b')], { answerChecks: checks() });
    const result = await settle(clock, router.route(request(json)));
    expect(result.status).toBe('ok');
    expect(result.servedBy?.arm).toBe('b');
    expect(result.output?.text).toBe('{"ok":true}');
    expect(result.attempts[0]).toMatchObject({ arm: 'a', kind: 'ok', rejectedBy: ['json'] });
  });

  it('fails check_failed, naming JSON mode, when no arm gives valid JSON', async () => {
    const { router, clock } = setupRouter({ a: [{ ok: true, text: 'plain' }], b: [{ ok: true, text: 'also plain' }] }, [makeArm('a'), makeArm('b')], { answerChecks: checks() });
    const result = await settle(clock, router.route(request(json)));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'check_failed', retryable: false, message: expect.stringMatching(/asked for JSON/) });
  });

  it('still publishes a text answer with another failed check when the class does not reject', async () => {
    const { router, clock } = setupRouter({ a: [{ ok: true, text: '' }] }, [makeArm('a'), makeArm('b')], { answerChecks: checks() });
    const result = await settle(clock, router.route(request()));
    expect(result.status).toBe('ok');
    expect(result.servedBy?.arm).toBe('a');
  });
});

describe('dead credentials', () => {
  it('takes an arm the provider refused out of rotation for every class, and says so', async () => {
    const { router, clock, providers, ofType } = setupRouter({ a: [refused] }, [makeArm('a'), makeArm('b')]);
    const first = await settle(clock, router.route(request({ id: 'r1' })));
    expect(first.servedBy?.arm).toBe('b');
    for (const cls of ['default', 'other']) {
      const result = await settle(clock, router.route(request({ id: `r-${cls}`, class: cls })));
      expect(result.attempts.map((a) => a.arm)).toEqual(['b']);
    }
    expect(providers.calls.filter((c) => c.arm === 'a')).toHaveLength(1);
    expect(router.credentials.stateOf('a')).toMatchObject({ state: 'auth_failed', since: 1_000, status: 401 });
    expect(ofType('credentials.refused')).toHaveLength(1);
  });

  it('fails auth (not no_eligible_arm) when every arm the request may use is refused', async () => {
    const { router, clock } = setupRouter({ a: [refused] }, [makeArm('a')]);
    await settle(clock, router.route(request({ id: 'r1' })));
    const result = await settle(clock, router.route(request({ id: 'r2' })));
    expect(result.attempts).toEqual([]);
    expect(result.error?.kind).toBe('auth');
  });

  it('probes the arm once a minute and puts it back when the key works again', async () => {
    const { router, clock, providers, ofType } = setupRouter({ a: [refused] }, [makeArm('a'), makeArm('b')]);
    await settle(clock, router.route(request({ id: 'r1' })));
    await clock.advance(59_000);
    await settle(clock, router.route(request({ id: 'r2' })));
    expect(providers.calls.filter((c) => c.arm === 'a')).toHaveLength(1);
    await clock.advance(1_000);
    const probe = await settle(clock, router.route(request({ id: 'r3' })));
    expect(probe.attempts.map((a) => [a.arm, a.kind])).toEqual([['a', 'auth'], ['b', 'ok']]);
    // Still refused: the next probe waits a full minute again.
    const next = await settle(clock, router.route(request({ id: 'r4' })));
    expect(next.attempts.map((a) => a.arm)).toEqual(['b']);
    providers.setScript('a', [{ ok: true }]);
    await clock.advance(60_000);
    const fixed = await settle(clock, router.route(request({ id: 'r5' })));
    expect(fixed.servedBy?.arm).toBe('a');
    expect(router.credentials.stateOf('a').state).toBe('ok');
    expect(ofType('credentials.restored')).toHaveLength(1);
    expect(ofType('credentials.refused')).toHaveLength(1);
  });

  it('lets only one of many concurrent requests probe the arm', async () => {
    const { router, clock, providers } = setupRouter({ a: [refused] }, [makeArm('a'), makeArm('b')]);
    await settle(clock, router.route(request({ id: 'r0' })));
    await clock.advance(60_000);
    await settle(clock, Promise.all([1, 2, 3, 4].map((i) => router.route(request({ id: `r${i}` })))));
    expect(providers.calls.filter((c) => c.arm === 'a')).toHaveLength(2);
  });

  it('forgets every refusal when the routing table is reloaded', async () => {
    const { router, clock } = setupRouter({ a: [refused] }, [makeArm('a'), makeArm('b')]);
    await settle(clock, router.route(request({ id: 'r1' })));
    router.updateArms([makeArm('a'), makeArm('b')]);
    expect(router.credentials.stateOf('a').state).toBe('ok');
  });
});
