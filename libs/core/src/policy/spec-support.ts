import { traitsOf, type ErrorKind } from '../errors/error-kind';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import { SeededRandom } from '../ports/random';
import type { RouteRequest } from '../routing/route-request';
import { makeArm } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { ThompsonSelector, type ThompsonOptions } from './thompson-selector';

/** Fixtures of the selector's specs (thompson-selector, arm-learner, health-snapshot, eligibility-rules). */
export const a = makeArm('a');
export const b = makeArm('b');

export function request(routing: Partial<RouteRequest['routing']> = {}, overrides: Partial<RouteRequest> = {}): RouteRequest {
  return { id: 'r', tenant: 't1', class: 'chat', messages: [{ role: 'user', content: 'hi' }], params: { maxTokens: 100 }, routing: { objective: 'balanced', ...routing }, ...overrides };
}

/** The clock of the test running (outcomes happen now: learners apply an outcome at its own time). */
let testClock: { now(): number } = { now: () => 0 };

export function outcome(arm: string, kind: 'ok' | ErrorKind, latencyMs = 500): AttemptOutcome {
  const traits = kind === 'ok' ? { retryable: false, countsAgainstArm: false } : traitsOf(kind);
  return { arm, attempt: 1, kind, ...traits, startedAt: testClock.now() - latencyMs, latencyMs, costUsd: 0, usage: kind === 'ok' ? { inputTokens: 100, outputTokens: 80 } : { inputTokens: 0, outputTokens: 0 } };
}

export function setup(options: Partial<ThompsonOptions> = {}) {
  const clock = new ManualClock(0);
  testClock = clock;
  const selector = new ThompsonSelector({ clock, random: new SeededRandom(1), arms: [a, b], ...options });
  const ctx = (r = request()) => ({ request: r, tried: [], clock });
  return { clock, selector, ctx };
}
