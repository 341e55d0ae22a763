import { Router } from '../router';
import { OrderedSelector } from '../routing/ordered-selector';
import type { RouteRequest } from '../routing/route-request';
import { ManualClock, ScriptedProviders, makeArm } from '../testing';
import { ArmRateLimiter } from './rate-limiter';

const request = (id: string, maxTokens = 100): RouteRequest => ({
  id,
  tenant: 't',
  class: 'chat',
  messages: [{ role: 'user', content: 'hello' }],
  params: { maxTokens },
  routing: { objective: 'balanced' },
});
const ctx = (r: RouteRequest) => ({ request: r, promptTokens: 10, tried: new Set<string>(), now: 0 });

describe('ArmRateLimiter', () => {
  it('makes an arm ineligible once its requests per minute are used, and eligible again as the bucket refills', async () => {
    const clock = new ManualClock(0);
    const arm = makeArm('a', { rateLimit: { rpm: 2 } });
    const limiter = new ArmRateLimiter(clock, [arm]);
    limiter.acquire(arm, 10, 100);
    limiter.acquire(arm, 10, 100);
    expect(limiter.eligibilityRule(arm, ctx(request('x')))).toMatch(/^rate limit: 2 requests\/min reached, next slot in ~30000 ms$/);
    await clock.advance(30_000);
    expect(limiter.eligibilityRule(arm, ctx(request('x')))).toBeUndefined();
  });

  it('charges estimated tokens up front and corrects them with the real usage', () => {
    const clock = new ManualClock(0);
    const arm = makeArm('a', { rateLimit: { tpm: 300 } });
    const limiter = new ArmRateLimiter(clock, [arm]);
    const estimate = limiter.acquire(arm, 10, 100); // 110 tokens
    expect(estimate).toBe(110);
    limiter.acquire(arm, 10, 100); // 220 used, 80 left: the next 110-token call does not fit
    expect(limiter.eligibilityRule(arm, ctx(request('x')))).toMatch(/tokens\/min reached/);
    limiter.settle('a', 110, 20); // the first call used only 20
    limiter.settle('a', 110, 20);
    expect(limiter.eligibilityRule(arm, ctx(request('x')))).toBeUndefined();
  });

  it('leaves arms without limits alone', () => {
    const limiter = new ArmRateLimiter(new ManualClock(0), [makeArm('free')]);
    expect(limiter.active).toBe(false);
    expect(limiter.eligibilityRule(makeArm('free'), ctx(request('x')))).toBeUndefined();
  });

  it('routes around a limited arm instead of drawing a 429 from it', async () => {
    const clock = new ManualClock(0);
    const limited = makeArm('limited', { rateLimit: { rpm: 3 } });
    const providers = new ScriptedProviders(clock, {});
    const router = new Router({ arms: [limited, makeArm('other')], providers, selector: new OrderedSelector(), clock });
    const served: string[] = [];
    for (let i = 0; i < 5; i++) served.push((await router.route(request(`r${i}`))).servedBy!.arm);
    expect(served).toEqual(['limited', 'limited', 'limited', 'other', 'other']);
    expect(providers.calls.filter((c) => c.arm === 'limited')).toHaveLength(3);
  });
});
