import { normalizeConfig, parseModelPatch } from './config-loader';
import { planCall, takeQuotaToken } from './fault-plan';
import { Scenario } from './scenario';
import { instantConfig } from './test-support';

const request = { model: 'gpt-4o', prompt: 'hi', inputTokens: 1, maxTokens: 10, stop: [] };

function limitedModel(rateLimit: { rps: number; burst?: number; retryAfterS?: number }) {
  const config = normalizeConfig(instantConfig());
  const scenario = new Scenario(config, () => 0);
  scenario.patchModel('gpt-4o', { faults: { rateLimit } }, 'openai');
  return scenario.find('openai', 'gpt-4o')!;
}

describe('provider-sim: token-bucket quota (faults.rateLimit)', () => {
  it('serves the burst, then answers 429 with the time to the next token, then refills', () => {
    const live = limitedModel({ rps: 2, burst: 3 });
    expect([0, 0, 0].map(() => takeQuotaToken(live, 0))).toEqual([null, null, null]);
    expect(takeQuotaToken(live, 0)).toBe(1); // 1 token at 2/s: 0.5 s, reported as 1 s (whole seconds)
    expect(takeQuotaToken(live, 499)).toBe(1);
    expect(takeQuotaToken(live, 500)).toBeNull(); // one token refilled after 0.5 s
    expect(takeQuotaToken(live, 500)).toBe(1);
    expect(takeQuotaToken(live, 10_000)).toBeNull(); // refills up to the burst only
    expect(takeQuotaToken(live, 10_000)).toBeNull();
    expect(takeQuotaToken(live, 10_000)).toBeNull();
    expect(takeQuotaToken(live, 10_000)).toBe(1);
  });

  it('sends the configured retry-after, and planCall turns an empty bucket into a 429', () => {
    const live = limitedModel({ rps: 1, retryAfterS: 10 });
    expect(planCall(live, request, 1, undefined, 0)).toMatchObject({ kind: 'complete' });
    const plan = planCall(live, request, 1, undefined, 100);
    expect(plan).toMatchObject({ kind: 'error', status: 429, fault: 'rateLimit', error: { kind: 'rate_limit', retryAfterS: 10 } });
  });

  it('is off by default and refuses a bad setting', () => {
    const live = new Scenario(normalizeConfig(instantConfig()), () => 0).find('openai', 'gpt-4o')!;
    expect(live.spec.faults.rateLimit).toBe(false);
    for (let i = 0; i < 100; i++) expect(takeQuotaToken(live, 0)).toBeNull();
    expect(() => parseModelPatch({ faults: { rateLimit: { rps: 0 } } })).toThrow(/rateLimit/);
  });
});
