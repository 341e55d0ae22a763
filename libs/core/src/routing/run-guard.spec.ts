import { traitsOf } from '../errors/error-kind';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import { FallbackConstraints } from '../resilience/fallback-planner';
import { ManualClock } from '../testing/manual-clock';
import type { Run } from './route-run';
import { DEFAULT_MAX_ATTEMPTS, RunGuard } from './run-guard';

function run(over: Partial<Run> = {}): Run {
  const request = { id: 'r', tenant: 't', class: 'chat', messages: [], params: {}, routing: { objective: 'balanced' as const } };
  return { request, startedAt: 0, deadlineAt: 1_000, promptTokens: 1, messages: [], rewritten: false, tried: [], attempts: [], started: 0, step: 0, constraints: new FallbackConstraints(), ...over };
}

function failed(kind: 'server_error' | 'timeout_read'): AttemptOutcome {
  return { arm: 'a', attempt: 1, kind, ...traitsOf(kind), startedAt: 0, latencyMs: 1, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 } };
}

describe('RunGuard', () => {
  it('lets a request go on before its deadline, with attempts left and no shutdown', () => {
    expect(new RunGuard(new ManualClock(999)).check(run())).toBeUndefined();
  });

  it('stops at the deadline as deadline_exceeded', () => {
    expect(new RunGuard(new ManualClock(1_000)).check(run())).toEqual({ kind: 'stop', failure: 'deadline_exceeded' });
  });

  it('stops on shutdown (the run signal aborted) as deadline_exceeded, saying why', () => {
    const signal = AbortSignal.abort('shutdown');
    expect(new RunGuard(new ManualClock(0)).check(run({ signal }))).toEqual({ kind: 'stop', failure: 'deadline_exceeded', detail: 'router shutting down' });
  });

  it('stops at the attempt cap with the last failure kind', () => {
    const guard = new RunGuard(new ManualClock(0), 2);
    expect(guard.check(run({ attempts: [failed('server_error')] }))).toBeUndefined();
    expect(guard.check(run({ attempts: [failed('server_error'), failed('timeout_read')] }))).toEqual({ kind: 'stop', failure: 'timeout_read', detail: 'attempt cap of 2 reached' });
  });

  it('caps at DEFAULT_MAX_ATTEMPTS when none is configured', () => {
    const attempts = Array.from({ length: DEFAULT_MAX_ATTEMPTS }, () => failed('server_error'));
    expect(new RunGuard(new ManualClock(0)).check(run({ attempts }))?.detail).toBe(`attempt cap of ${DEFAULT_MAX_ATTEMPTS} reached`);
  });
});
