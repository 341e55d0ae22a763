import type { RouteRequest } from '../routing/route-request';
import { SeededRandom } from '../ports/random';
import { makeArm } from '../testing/fake-provider';
import { ManualClock } from '../testing/manual-clock';
import { ThompsonSelector } from './thompson-selector';

// $1/$2 vs $30/$60 per 1M tokens.
const cheap = makeArm('cheap', { maxOutputTokens: 1_000 });
const dear = makeArm('dear', { pricing: { inputPer1M: 30, outputPer1M: 60 }, maxOutputTokens: 1_000 });
const request: RouteRequest = { id: 'r', tenant: 'acme', class: 'chat', messages: [{ role: 'user', content: 'hello' }], params: { maxTokens: 1_000 }, routing: { objective: 'balanced', valueUsd: 0.1 } };

/** Share of 400 decisions, every one an exploration draw, that went to the dear arm at this price of a dollar. */
function dearShare(costWeight: number): number {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const selector = new ThompsonSelector({ clock, random: new SeededRandom(7), arms: [cheap, dear], explorationRate: 1, costWeight: () => costWeight });
  let n = 0;
  for (let i = 0; i < 400; i++) if (selector.select({ request, tried: [], clock }, [cheap, dear]).chosen.id === 'dear') n++;
  return n / 400;
}

describe('exploration under a binding budget', () => {
  it('explores only arms still worth their cost at the price of a dollar', () => {
    // Worth $0.10 when good; the dear arm's expected call (≈ 300 output tokens) ≈ $0.018: worth it
    // at price 1, never at price 10 ($0.18).
    expect(dearShare(1)).toBeGreaterThan(0.005);
    expect(dearShare(10)).toBe(0);
  });
});
