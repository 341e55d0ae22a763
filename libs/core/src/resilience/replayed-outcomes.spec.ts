import { traitsOf, type ErrorKind } from '../errors/error-kind';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import { SeededRandom } from '../ports/random';
import { ThompsonSelector } from '../policy/thompson-selector';
import { SlidingSketch } from '../stats/sliding-sketch';
import { makeArm } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { BreakerRegistry } from './breaker-registry';
import { SlidingCounter } from './sliding-counter';

/** An outcome that ended at `endedAt` (a replayed one ended before now). */
function outcome(arm: string, kind: 'ok' | ErrorKind, endedAt: number, latencyMs = 200): AttemptOutcome {
  const traits = kind === 'ok' ? { retryable: false, countsAgainstArm: false } : traitsOf(kind);
  return { arm, attempt: 1, kind, ...traits, startedAt: endedAt - latencyMs, latencyMs, costUsd: 0, usage: { inputTokens: 10, outputTokens: 10 } };
}

describe('outcomes replayed from the outcomes topic keep their own time', () => {
  it('a restart replaying failures older than the breaker window opens no breaker', async () => {
    const clock = new ManualClock(600_000);
    const breakers = new BreakerRegistry({ clock });
    breakers.updateArms([makeArm('a')]);
    // The provider failed 40-60 s ago and has recovered since; the router just restarted.
    for (let t = 540_000; t < 560_000; t += 500) breakers.recordShared(outcome('a', 'server_error', t));
    expect(breakers.stateOf('a')).toMatchObject({ state: 'closed', observedCalls: 0, calls: 0, consecutiveFailures: 0 });
  });

  it('replayed failures inside the window count where they happened, and leave the window as time moves on', async () => {
    const clock = new ManualClock(600_000);
    const breakers = new BreakerRegistry({ clock, config: { consecutiveFailures: 100 } });
    breakers.updateArms([makeArm('a')]);
    for (let i = 0; i < 4; i++) breakers.recordShared(outcome('a', 'server_error', 590_000 + i));
    expect(breakers.stateOf('a')).toMatchObject({ observedCalls: 4, calls: 0 });
    await clock.advance(21_000);
    expect(breakers.stateOf('a')).toMatchObject({ observedCalls: 0 });
  });

  it('a breaker opened by replayed failures opens at their time, so its open time may already be over', async () => {
    const clock = new ManualClock(600_000);
    const breakers = new BreakerRegistry({ clock });
    breakers.updateArms([makeArm('a')]);
    for (let i = 0; i < 5; i++) breakers.recordShared(outcome('a', 'server_error', 580_000 + i));
    expect(breakers.stateOf('a').state).toBe('half_open');
  });

  it('an outcome from before the breaker last moved cannot move it again (a late broadcast failure does not re-open a half-open breaker)', async () => {
    const clock = new ManualClock(600_000);
    const breakers = new BreakerRegistry({ clock, config: { openBaseMs: 2_000 } });
    for (let i = 0; i < 5; i++) breakers.record(outcome('a', 'server_error', clock.now()));
    expect(breakers.stateOf('a').state).toBe('open');
    await clock.advance(2_000);
    expect(breakers.stateOf('a').state).toBe('half_open');
    breakers.recordShared(outcome('a', 'server_error', 600_500));
    expect(breakers.stateOf('a').state).toBe('half_open');
    breakers.recordShared(outcome('a', 'server_error', clock.now()));
    expect(breakers.stateOf('a').state).toBe('open');
  });

  it("counts only this process's own calls as calls; other replicas' are observedCalls", () => {
    const clock = new ManualClock(600_000);
    const breakers = new BreakerRegistry({ clock });
    breakers.record(outcome('a', 'ok', 600_000));
    breakers.recordShared(outcome('a', 'ok', 600_000));
    expect(breakers.stateOf('a')).toMatchObject({ calls: 1, observedCalls: 2 });
  });

  it('ignores outcomes of arms not in the routing table serving now, and reports only its arms', () => {
    const clock = new ManualClock(600_000);
    const breakers = new BreakerRegistry({ clock });
    breakers.updateArms([makeArm('a')]);
    breakers.recordShared(outcome('old-arm', 'server_error', 599_000));
    breakers.record(outcome('a', 'ok', 600_000));
    expect(breakers.snapshot().map((b) => b.arm)).toEqual(['a']);
  });

  it('a replayed 429 cools the arm down from its own time', () => {
    const clock = new ManualClock(600_000);
    const breakers = new BreakerRegistry({ clock });
    breakers.recordShared({ ...outcome('a', 'rate_limited', 595_000), retryAfterMs: 10_000 });
    expect(breakers.stateOf('a').coolingDownUntil).toBe(605_000);
    breakers.recordShared({ ...outcome('b', 'rate_limited', 580_000), retryAfterMs: 10_000 });
    expect(breakers.stateOf('b').coolingDownUntil).toBeUndefined();
  });

  it('a sliding counter puts a past event in the bucket of its time, or nowhere once it left the window', () => {
    const counter = new SlidingCounter<'x'>(1_000, 10_000);
    expect(counter.add(100_000, 'x', 1, 95_500)).toBe(true);
    expect(counter.add(100_000, 'x', 1, 80_000)).toBe(false);
    counter.add(100_000, 'x');
    expect(counter.sum(100_000, 'x')).toBe(2);
    expect(counter.sum(104_999, 'x')).toBe(2);
    expect(counter.sum(105_000, 'x')).toBe(1);
  });

  it('a latency sketch drops a value older than the windows it holds', async () => {
    const clock = new ManualClock(0);
    const sketch = new SlidingSketch(clock, 60_000);
    await clock.advance(200_000);
    sketch.add(5_000, 10_000);
    expect(sketch.count).toBe(0);
    sketch.add(100, 199_000);
    expect(sketch.count).toBe(1);
  });

  it('the adaptive policy sees a replayed outcome as old as it is (its evidence fades like any stale evidence)', () => {
    const clock = new ManualClock(3_600_000);
    const arms = [makeArm('a')];
    const fresh = new ThompsonSelector({ clock, random: new SeededRandom(1), arms });
    const replayed = new ThompsonSelector({ clock, random: new SeededRandom(1), arms });
    for (let i = 0; i < 20; i++) {
      fresh.record(outcome('a', 'ok', clock.now()), 'chat', `f${i}`);
      replayed.record(outcome('a', 'ok', clock.now() - 540_000), 'chat', `r${i}`);
    }
    const at = (s: ThompsonSelector) => s.snapshot().find((v) => v.arm === 'a')!.lastObservedAt;
    expect(at(fresh)).toBe(3_600_000);
    expect(at(replayed)).toBe(3_600_000 - 540_000);
  });
});
