import { documentedBound, logNormalCompletion, type Decision, type RouteRequest } from '@switchyard/core';
import { makeArm } from '@switchyard/core/testing';
import { chooseBatch, type BatchChoiceInput } from './batch-choice';

const MIN = 60_000;
const openai = makeArm('gpt', { providerKind: 'openai' });
const local = makeArm('local', { providerKind: 'openai-compatible' });
const arms = new Map([openai, local].map((a) => [a.id, a]));

function request(id = 'r-1'): RouteRequest {
  return { id, tenant: 't', class: 'nightly', messages: [{ role: 'user', content: 'x'.repeat(4_000) }], params: { maxTokens: 500 }, routing: { objective: 'balanced' } };
}

function quote(chosen = openai): Decision {
  return {
    chosen,
    candidates: [
      { arm: 'gpt', sampledSuccess: 0.9, sampledQuality: 1, expectedCostUsd: 0.002, sampledLatencyMs: 2_000 },
      { arm: 'local', sampledSuccess: 0.8, sampledQuality: 1, expectedCostUsd: 0.0001, sampledLatencyMs: 1_000 },
    ],
    excluded: [],
    reason: 'test',
    exploration: false,
  };
}

function input(overrides: Partial<BatchChoiceInput> = {}): BatchChoiceInput {
  return {
    request: request(),
    mode: 'allow',
    quote: quote(),
    value: { valueUsd: 0.02, latencyUsdPerSecond: 0 },
    armOf: (id) => arms.get(id),
    batchCapable: (arm) => arm.providerKind !== 'openai-compatible',
    completion: () => logNormalCompletion(5 * MIN, 20 * MIN),
    priceFactor: 0.5,
    deadlineMs: 6 * 60 * MIN,
    liveBudgetMs: 2 * MIN,
    ...overrides,
  };
}

describe('chooseBatch', () => {
  it('sends a request to batch when waiting is free and the batch is almost surely in time (allow)', () => {
    const choice = chooseBatch(input());
    expect(choice).toMatchObject({ via: 'batch', why: 'batch_better', batch: { arm: { id: 'gpt' } } });
    // Half the cost, nearly the same chance of a good answer: ≈ $0.001 more than live.
    expect(choice.batch!.decision.batchValue - choice.live.value).toBeCloseTo(0.001, 4);
  });

  it('keeps it live when the caller pays for waiting (the balanced preset: ten minutes cost more than the saving)', () => {
    const choice = chooseBatch(input({ value: { valueUsd: 0.02, latencyUsdPerSecond: 0.001 } }));
    expect(choice).toMatchObject({ via: 'live', why: 'live_better' });
    expect(choice.batch!.decision.batchValue).toBeLessThan(choice.live.value);
  });

  it('keeps it live when the deadline leaves no room for a rescue, even when batch is preferred', () => {
    expect(chooseBatch(input({ mode: 'prefer', deadlineMs: MIN }))).toMatchObject({ via: 'live', why: 'deadline_too_close' });
  });

  it('prefers batch whenever the deadline leaves room, even when live is worth more', () => {
    const choice = chooseBatch(input({ mode: 'prefer', value: { valueUsd: 0.02, latencyUsdPerSecond: 0.001 }, completion: () => documentedBound(24 * 60 * MIN) }));
    expect(choice).toMatchObject({ via: 'batch', why: 'preferred' });
  });

  it('stays live when no eligible arm has a batch API, or the request id cannot be a custom_id', () => {
    expect(chooseBatch(input({ quote: { ...quote(local), candidates: [quote().candidates[1]] } }))).toMatchObject({ via: 'live', why: 'no_batch_arm' });
    expect(chooseBatch(input({ request: request('id with spaces') }))).toMatchObject({ via: 'live', why: 'no_batch_arm' });
  });

  it('weighs the learnt completion time: a batch that usually ends after the cutoff stays live', () => {
    const slow = chooseBatch(input({ deadlineMs: 30 * MIN, completion: () => logNormalCompletion(60 * MIN, 120 * MIN) }));
    expect(slow.via).toBe('live');
    expect(slow.batch!.decision.pInTime).toBeLessThan(0.5);
  });
});
