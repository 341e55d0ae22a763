import type { ProviderCall, ProviderRegistry } from '../ports/provider';
import { makeArm, ScriptedProviders } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { BreakerRegistry } from './breaker-registry';
import { RetryBudget } from './retry-budget';
import { request, settle, setupRouter } from './spec-support';

const fail = (kind: Parameters<typeof makeFailure>[0], extra: { retryAfterMs?: number; latencyMs?: number } = {}) => makeFailure(kind, extra);
function makeFailure(kind: 'server_error' | 'rate_limited' | 'bad_request' | 'auth' | 'timeout_connect' | 'timeout_read' | 'network' | 'context_overflow' | 'content_policy', extra: { retryAfterMs?: number; latencyMs?: number }) {
  return { ok: false as const, kind, ...extra };
}
const ok = (extra: { latencyMs?: number; text?: string; finishReason?: 'stop' | 'length'; usage?: { inputTokens: number; outputTokens: number } } = {}) => ({ ok: true as const, ...extra });

function recording(inner: ProviderRegistry): { sent: ProviderCall[]; registry: ProviderRegistry } {
  const sent: ProviderCall[] = [];
  return {
    sent,
    registry: {
      providerFor: (arm) => {
        const provider = inner.providerFor(arm);
        return { call: (call) => (sent.push(call), provider.call(call)) };
      },
    },
  };
}

describe('retries on the same arm', () => {
  it('retries a 5xx on the only arm with full-jitter backoff and lists every attempt', async () => {
    const { router, clock, providers, ofType } = setupRouter({ a: [fail('server_error'), fail('server_error'), ok()] }, [makeArm('a')]);
    const result = await settle(clock, router.route(request()));
    expect(result.status).toBe('ok');
    expect(result.attempts.map((a) => [a.kind, a.role])).toEqual([
      ['server_error', 'first'],
      ['server_error', 'retry'],
      ['ok', 'retry'],
    ]);
    const delays = ofType('retry.scheduled').map((e) => e.delayMs);
    expect(delays[0]).toBeLessThan(2_000);
    expect(delays[1]).toBeLessThan(4_000);
    const at = providers.calls.map((c) => c.at - 1_000);
    expect(at).toEqual([0, delays[0], delays[0] + delays[1]]);
  });

  it('gives up after the 3 attempts a 5xx allows, with the final kind and an actionable message', async () => {
    const { router, clock, providers } = setupRouter({ a: [fail('server_error')] }, [makeArm('a')]);
    const result = await settle(clock, router.route(request()));
    expect(providers.calls).toHaveLength(3);
    expect(result.error).toMatchObject({ kind: 'server_error', retryable: true, message: expect.stringMatching(/provider server error.*3 attempts used on a/) });
  });

  it('honours a 429 Retry-After before retrying', async () => {
    const { router, clock, providers } = setupRouter({ a: [fail('rate_limited', { retryAfterMs: 7_000 }), ok()] }, [makeArm('a')]);
    const result = await settle(clock, router.route(request()));
    expect(result.status).toBe('ok');
    expect(providers.calls[1].at - providers.calls[0].at).toBeGreaterThanOrEqual(7_000);
  });

  it('does not wait for a Retry-After above the cap', async () => {
    const { router, clock, providers } = setupRouter({ a: [fail('rate_limited', { retryAfterMs: 120_000 })] }, [makeArm('a')]);
    const result = await settle(clock, router.route(request()));
    expect(providers.calls).toHaveLength(1);
    expect(result.error).toMatchObject({ kind: 'rate_limited', message: expect.stringMatching(/Retry-After 120000 ms is above the 30000 ms cap/) });
  });

  it('switches to another healthy arm at once instead of sleeping on a 429', async () => {
    const { router, clock, providers, ofType } = setupRouter({ a: [fail('rate_limited', { retryAfterMs: 5_000 })] });
    const result = await settle(clock, router.route(request()));
    expect(result.servedBy?.arm).toBe('b');
    expect(providers.calls.map((c) => c.at)).toEqual([1_000, 1_000]);
    expect(ofType('retry.scheduled')).toEqual([]);
    expect(ofType('fallback')).toEqual([expect.objectContaining({ from: 'a', to: 'b', reason: 'rate_limited' })]);
  });

  it.each(['bad_request', 'auth', 'timeout_connect'] as const)('never retries %s on the same arm', async (kind) => {
    const { router, clock, providers } = setupRouter({ a: [fail(kind)] }, [makeArm('a')]);
    const result = await settle(clock, router.route(request()));
    expect(providers.calls).toHaveLength(1);
    expect(result.error?.kind).toBe(kind);
  });

  it('stops a backoff sleep at shutdown and reports it', async () => {
    const { router, clock, providers } = setupRouter({ a: [fail('server_error')] }, [makeArm('a')]);
    const shutdown = new AbortController();
    const pending = router.route(request(), shutdown.signal);
    await clock.advance(1);
    shutdown.abort('shutdown');
    const result = await settle(clock, pending);
    expect(providers.calls).toHaveLength(1);
    expect(result.error).toMatchObject({ kind: 'deadline_exceeded', message: expect.stringMatching(/router shutting down/) });
  });

  it('retries a read timeout once', async () => {
    const { router, clock, providers } = setupRouter({ a: [fail('timeout_read')] }, [makeArm('a')]);
    await settle(clock, router.route(request()));
    expect(providers.calls).toHaveLength(2);
  });

  it('never sleeps past the request deadline', async () => {
    const { router, clock, providers } = setupRouter({ a: [fail('rate_limited', { retryAfterMs: 4_000 })] }, [makeArm('a')]);
    const result = await settle(clock, router.route(request({}, { deadlineMs: 3_000 })));
    expect(providers.calls).toHaveLength(1);
    expect(result.latencyMs).toBe(0);
    expect(result.error?.message).toMatch(/backoff would pass the request deadline/);
  });

  it('stops retrying when the retry budget is spent, while fallbacks still run', async () => {
    const { router, clock } = setupRouter({ a: [fail('server_error')], b: [fail('server_error')] }, [makeArm('a'), makeArm('b')], (clock) => ({
      retryBudget: new RetryBudget(clock, { ratio: 0, minRetriesPerSecond: 0, bucketMs: 10_000, windowMs: 60_000 }),
    }));
    const result = await settle(clock, router.route(request()));
    expect(result.attempts.map((a) => a.arm)).toEqual(['a', 'b']);
    expect(result.error?.message).toMatch(/retry budget spent/);
  });

  it('bounds each attempt by the arm total timeout when it is shorter than the deadline', async () => {
    const { router, clock } = setupRouter({ a: [{ hang: true }, ok()] }, [makeArm('a', { timeouts: { connectMs: 500, totalMs: 2_000 } })]);
    const result = await settle(clock, router.route(request()));
    expect(result.attempts[0]).toMatchObject({ kind: 'timeout_read', latencyMs: 2_000, message: expect.stringMatching(/total timeout of 2000 ms/) });
    expect(result.status).toBe('ok');
  });
});

describe('fallbacks', () => {
  it('moves a context_overflow to a larger window only, never back to the same arm', async () => {
    const arms = [makeArm('mid', { contextWindow: 8_000 }), makeArm('small', { contextWindow: 4_000 }), makeArm('large', { contextWindow: 200_000 })];
    const { router, clock, ofType } = setupRouter({ mid: [fail('context_overflow')] }, arms);
    const result = await settle(clock, router.route(request()));
    expect(result.attempts.map((a) => a.arm)).toEqual(['mid', 'large']);
    const decision = ofType('decision')[1].decision;
    expect(decision.excluded).toContainEqual({ arm: 'small', reason: 'context window 4000 not larger than the 8000 that overflowed' });
  });

  it('does not fall back after content_policy by default', async () => {
    const { router, clock, providers } = setupRouter({ a: [fail('content_policy')] });
    const result = await settle(clock, router.route(request()));
    expect(providers.calls).toHaveLength(1);
    expect(result.error).toMatchObject({ kind: 'content_policy', message: expect.stringMatching(/content-policy fallback is off/) });
  });

  it('falls back after content_policy only inside the policy group when the request enables it', async () => {
    const arms = [makeArm('a', { policyGroup: 'eu' }), makeArm('b', { policyGroup: 'us' }), makeArm('c', { policyGroup: 'eu' })];
    const { router, clock } = setupRouter({ a: [fail('content_policy')] }, arms);
    const result = await settle(clock, router.route(request({}, { contentPolicyFallback: true })));
    expect(result.attempts.map((a) => a.arm)).toEqual(['a', 'c']);
  });

  it('tries the prompt-rewrite hook on the same arm before other arms', async () => {
    const clock = new ManualClock(1_000);
    const { sent, registry } = recording(new ScriptedProviders(clock, { a: [fail('content_policy'), ok()] }));
    const { router } = setupRouter({}, undefined, {
      clock,
      providers: registry,
      resilience: { fallback: { noFallbackOn: [], contentPolicy: { enabled: true, rewrite: (m) => m.map((x) => ({ ...x, content: `[safe] ${x.content}` })) } } },
    });
    const result = await settle(clock, router.route(request()));
    expect(result.attempts.map((a) => [a.arm, a.role])).toEqual([
      ['a', 'first'],
      ['a', 'rewrite'],
    ]);
    expect(sent[1].messages[0].content).toBe('[safe] hello');
  });
});

describe('partial continuation', () => {
  it('continues a length-cut answer up to 2 times, joining text and summing usage and cost', async () => {
    const clock = new ManualClock(1_000);
    const cut = (text: string) => ok({ text, finishReason: 'length', usage: { inputTokens: 100, outputTokens: 50 } });
    const { sent, registry } = recording(new ScriptedProviders(clock, { a: [cut('one '), cut('two '), cut('three '), ok()] }));
    const { router, ofType } = setupRouter({}, undefined, { clock, providers: registry });
    const result = await settle(clock, router.route(request({ params: { maxTokens: 1_000 } })));
    expect(result.output).toEqual({ text: 'one two three ', finishReason: 'length' });
    expect(result.usage).toMatchObject({ inputTokens: 300, outputTokens: 150 });
    expect(result.usage.costUsd).toBeCloseTo(3 * 0.0002, 10);
    expect(result.attempts.map((a) => a.role)).toEqual(['first', 'continuation', 'continuation']);
    expect(sent[2].messages.slice(-2)).toEqual([
      { role: 'assistant', content: 'one two ' },
      { role: 'user', content: expect.stringMatching(/Continue/) },
    ]);
    expect(sent[2].maxTokens).toBe(900);
    expect(ofType('continuation').map((e) => e.continuation)).toEqual([1, 2]);
  });

  it('does not continue when the answer used the requested maxTokens', async () => {
    const { router, clock, providers } = setupRouter({ a: [ok({ finishReason: 'length', usage: { inputTokens: 10, outputTokens: 50 } })] });
    const result = await settle(clock, router.route(request({ params: { maxTokens: 50 } })));
    expect(providers.calls).toHaveLength(1);
    expect(result.output?.finishReason).toBe('length');
  });
});

describe('degradation and escalation', () => {
  it('answers with the static reply of the class, marked degraded, when every arm fails', async () => {
    const { router, clock, ofType } = setupRouter({ a: [fail('auth')] }, [makeArm('a')], { resilience: { degradation: { replies: { chat: 'We are busy, try again soon.' } } } });
    const result = await settle(clock, router.route(request({ class: 'chat' })));
    expect(result).toMatchObject({ status: 'ok', degraded: true, output: { text: 'We are busy, try again soon.' }, degradedFrom: { kind: 'auth' } });
    expect(ofType('degraded')).toHaveLength(1);
  });

  it('never degrades a bad request: the caller must see it', async () => {
    const { router, clock } = setupRouter({ a: [fail('bad_request')] }, [makeArm('a')], { resilience: { degradation: { replies: { default: 'static' } } } });
    const result = await settle(clock, router.route(request()));
    expect(result.status).toBe('failed');
    expect(result.degraded).toBeUndefined();
  });

  it('escalates a failed request after 3 failed attempts', async () => {
    const { router, clock, ofType } = setupRouter({ a: [fail('server_error')] }, [makeArm('a')]);
    const result = await settle(clock, router.route(request()));
    expect(result.escalate).toEqual({ reason: '3 failed attempts (last: server_error)' });
    expect(ofType('escalated')).toHaveLength(1);
  });

  it('does not escalate a request that failed once on a client error', async () => {
    const { router, clock } = setupRouter({ a: [fail('bad_request')] }, [makeArm('a')]);
    expect((await settle(clock, router.route(request()))).escalate).toBeUndefined();
  });

  it('escalates every request of a class configured for review, even a successful one', async () => {
    const { router, clock } = setupRouter({}, undefined, { resilience: { escalation: { reviewClasses: ['legal'] } } });
    const result = await settle(clock, router.route(request({ class: 'legal' })));
    expect(result.status).toBe('ok');
    expect(result.escalate).toEqual({ reason: 'class "legal" is configured for review' });
  });
});

describe('circuit breakers in the loop', () => {
  it('opens after 5 consecutive failures, excludes the arm with a reason, and reports transitions', async () => {
    const { router, clock, ofType } = setupRouter({ a: [fail('network')] }, [makeArm('a'), makeArm('b')]);
    for (let i = 0; i < 5; i++) await settle(clock, router.route(request({ id: `r${i}` })));
    expect(ofType('breaker.transition')).toEqual([expect.objectContaining({ arm: 'a', from: 'closed', to: 'open', reason: '5 consecutive failures; open for 5000 ms', requestId: 'r4' })]);
    await settle(clock, router.route(request({ id: 'r5' })));
    const decision = ofType('decision').at(-1)!.decision;
    expect(decision.excluded).toEqual([{ arm: 'a', reason: expect.stringMatching(/^circuit open until /) }]);
    expect(router.breakers.snapshot()).toContainEqual(expect.objectContaining({ arm: 'a', state: 'open', failureRate: 1 }));
  });

  it('sends one probe after the open time and closes after 2 successes', async () => {
    const { router, clock, ofType } = setupRouter({ a: [fail('server_error'), ok(), ok()] }, [makeArm('a'), makeArm('b')], { resilience: { breaker: { consecutiveFailures: 1 } } });
    const first = await settle(clock, router.route(request({ id: 'r1' })));
    expect(first.servedBy?.arm).toBe('b');
    await clock.advance(5_000);
    const probe = await settle(clock, router.route(request({ id: 'r2' })));
    expect(probe.servedBy?.arm).toBe('a');
    expect(router.breakers.stateOf('a').state).toBe('half_open');
    await settle(clock, router.route(request({ id: 'r3' })));
    expect(router.breakers.stateOf('a').state).toBe('closed');
    expect(ofType('breaker.transition').map((t) => [t.from, t.to, t.at])).toEqual([
      ['closed', 'open', 1_000],
      ['open', 'half_open', 6_000],
      ['half_open', 'closed', 6_000],
    ]);
  });

  it('makes a 429 arm ineligible for other requests until Retry-After, without opening it', async () => {
    const { router, clock, ofType } = setupRouter({ a: [fail('rate_limited', { retryAfterMs: 10_000 }), ok()] }, [makeArm('a'), makeArm('b')]);
    await settle(clock, router.route(request({ id: 'r1' })));
    const second = await settle(clock, router.route(request({ id: 'r2' })));
    expect(second.servedBy?.arm).toBe('b');
    expect(ofType('decision').at(-1)!.decision.excluded).toEqual([{ arm: 'a', reason: 'cooling down after 429 until 1970-01-01T00:00:11.000Z' }]);
    expect(router.breakers.stateOf('a').state).toBe('closed');
    await clock.advance(10_000);
    expect((await settle(clock, router.route(request({ id: 'r3' })))).servedBy?.arm).toBe('a');
  });

  it('fails with circuit_open when every arm is blocked by its breaker', async () => {
    const { router, clock } = setupRouter({ a: [fail('network')], b: [fail('network')] }, [makeArm('a'), makeArm('b')], (clock) => ({
      breakers: new BreakerRegistry({ clock, config: { consecutiveFailures: 1 } }),
    }));
    await settle(clock, router.route(request({ id: 'r1' })));
    const result = await settle(clock, router.route(request({ id: 'r2' })));
    expect(result.error).toMatchObject({ kind: 'circuit_open', message: expect.stringMatching(/open circuit breaker.*a circuit open until/) });
  });
});

describe('hedged requests', () => {
  it('starts a second arm after the hedge delay; the first success wins and the loser is cancelled at cost 0', async () => {
    const { router, clock, ofType } = setupRouter({ a: [ok({ latencyMs: 5_000 })], b: [ok({ latencyMs: 300 })] }, undefined, { resilience: { hedge: { delayMs: 1_000 } } });
    const result = await settle(clock, router.route(request({}, { hedge: true })));
    expect(result.servedBy?.arm).toBe('b');
    expect(result.latencyMs).toBe(1_300);
    expect(result.attempts.map((a) => [a.arm, a.kind, a.role, a.costUsd])).toEqual([
      ['b', 'ok', 'hedge', 0.0002],
      ['a', 'cancelled', 'first', 0],
    ]);
    expect(ofType('hedge.started')).toEqual([expect.objectContaining({ primary: 'a', hedge: 'b', delayMs: 1_000 })]);
    expect(ofType('hedge.won')).toEqual([expect.objectContaining({ winner: 'b', loser: 'a', loserCancelled: true })]);
    expect(router.breakers.stateOf('a').calls).toBe(0);
  });

  it('takes the hedge delay from the latency estimator P95 and does not hedge a fast answer', async () => {
    const { router, clock, providers, ofType } = setupRouter({ a: [ok({ latencyMs: 400 })] }, undefined, {
      resilience: { hedge: { classes: ['chat'] } },
      latency: { p95: (arm) => (arm === 'a' ? 500 : undefined) },
    });
    const result = await settle(clock, router.route(request({ class: 'chat' })));
    expect(result.servedBy?.arm).toBe('a');
    expect(providers.calls).toHaveLength(1);
    expect(ofType('hedge.started')).toEqual([]);
  });

  it('waits for the other leg when the first to finish fails', async () => {
    const { router, clock } = setupRouter({ a: [ok({ latencyMs: 3_000 })], b: [fail('server_error', { latencyMs: 100 })] }, undefined, { resilience: { hedge: { delayMs: 1_000 } } });
    const result = await settle(clock, router.route(request({}, { hedge: true })));
    expect(result.servedBy?.arm).toBe('a');
    expect(result.attempts.map((a) => [a.arm, a.kind])).toEqual([
      ['b', 'server_error'],
      ['a', 'ok'],
    ]);
  });
});

describe('conversation stickiness', () => {
  it('sends the next turn to the arm that served the previous one while it is healthy', async () => {
    const { router, clock, ofType } = setupRouter({ a: [fail('server_error'), ok()] });
    const turn1 = await settle(clock, router.route(request({ id: 't1' }, { conversationId: 'conv-1' })));
    expect(turn1.servedBy?.arm).toBe('b');
    const turn2 = await settle(clock, router.route(request({ id: 't2' }, { conversationId: 'conv-1' })));
    expect(turn2.servedBy?.arm).toBe('b');
    expect(ofType('decision').at(-1)!.decision.reason).toMatch(/stickiness/);
    const other = await settle(clock, router.route(request({ id: 'o1' }, { conversationId: 'conv-2' })));
    expect(other.servedBy?.arm).toBe('a');
  });

  it('leaves the previous arm once its breaker is open', async () => {
    const { router, clock } = setupRouter({ a: [fail('server_error'), ok()], b: [ok(), fail('network')] }, [makeArm('a'), makeArm('b')], {
      resilience: { breaker: { consecutiveFailures: 1 } },
    });
    expect((await settle(clock, router.route(request({ id: 't1' }, { conversationId: 'c' })))).servedBy?.arm).toBe('b');
    await clock.advance(5_000);
    expect((await settle(clock, router.route(request({ id: 't2' }, { conversationId: 'c' })))).servedBy?.arm).toBe('a');
    expect(router.breakers.stateOf('b').state).toBe('open');
    expect((await settle(clock, router.route(request({ id: 't3' }, { conversationId: 'c' })))).servedBy?.arm).toBe('a');
  });
});
