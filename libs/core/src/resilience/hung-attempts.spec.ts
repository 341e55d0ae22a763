import { Router } from '../router';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import type { AttemptOutcome, OutcomeSink } from '../outcome/attempt-outcome';
import { OrderedSelector } from '../routing/ordered-selector';
import type { RouteRequest } from '../routing/route-request';
import { makeArm, ManualClock, ScriptedProviders, type ScriptedStep } from '../testing';
import { settle } from './spec-support';

const request = (id: string): RouteRequest => ({ id, tenant: 't', class: 'chat', messages: [{ role: 'user', content: 'hi' }], params: {}, routing: { objective: 'balanced' } });

function setup(scripts: Record<string, ScriptedStep[]>) {
  const clock = new ManualClock(0);
  const events: RouterEvent[] = [];
  const bus = new RouterEventBus();
  bus.subscribe((e) => events.push(e));
  const recorded: Array<{ outcome: AttemptOutcome; id?: string }> = [];
  const retracted: string[] = [];
  const sink: OutcomeSink = { record: (outcome, _cls, id) => void recorded.push({ outcome, id }), retractHung: (arm) => void retracted.push(arm) };
  const router = new Router({
    arms: [makeArm('a', { timeouts: { connectMs: 1_000, totalMs: 20_000 } }), makeArm('b')],
    providers: new ScriptedProviders(clock, scripts),
    selector: new OrderedSelector(),
    clock,
    events: bus,
    outcomeSinks: [sink],
    latency: { p95: () => 800, p99: () => 1_000 },
    hungAfterP99Multiple: 2,
  });
  return { clock, router, events, recorded, retracted };
}

describe('hung attempts', () => {
  it('counts an attempt still running after k × P99 against the arm at once, long before its timeout', async () => {
    const { clock, router, events, recorded } = setup({ a: [{ hang: true }] });
    const done = router.route(request('r1'));
    await clock.advance(1_999);
    expect(recorded).toEqual([]);
    await clock.advance(1);
    expect(recorded).toEqual([{ outcome: expect.objectContaining({ arm: 'a', kind: 'timeout_read', countsAgainstArm: true, latencyMs: 2_000, message: expect.stringMatching(/still running after 2000 ms/) }), id: 'r1:1:hung' }]);
    expect(events.find((e) => e.type === 'attempt.hung')).toMatchObject({ arm: 'a', attempt: 1, afterMs: 2_000 });
    // The arm's own timeout still ends the attempt; the request falls back.
    const result = await settle(clock, done);
    expect(result.servedBy?.arm).toBe('b');
  });

  it('takes the report back when the slow call answers after all, and reports nothing for a call within k × P99', async () => {
    const { clock, router, recorded, retracted } = setup({ a: [{ ok: true, latencyMs: 3_000 }, { ok: true, latencyMs: 1_500 }] });
    const slow = router.route(request('r2'));
    await clock.advance(3_000);
    expect((await slow).servedBy?.arm).toBe('a');
    expect(recorded.map((r) => r.outcome.kind)).toEqual(['timeout_read', 'ok']);
    expect(retracted).toEqual(['a']);

    const fast = router.route(request('r3'));
    await clock.advance(1_500);
    await fast;
    expect(recorded.map((r) => r.outcome.kind)).toEqual(['timeout_read', 'ok', 'ok']);
    expect(retracted).toEqual(['a']);
  });
});
