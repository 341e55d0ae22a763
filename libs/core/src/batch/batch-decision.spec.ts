import fc from 'fast-check';
import { decideBatch, type BatchCase } from './batch-decision';
import { documentedBound, logNormalCompletion } from './completion-time';

const live = { pGood: 0.9, expectedCostUsd: 0.01, expectedLatencyMs: 2_000 };
/** A deadline-tolerant caller: answers are worth $0.05, waiting costs nothing. */
const patient = { valueUsd: 0.05, latencyUsdPerSecond: 0 };
const oneMinute = logNormalCompletion(60_000, 60_000);
const base: BatchCase = { live, batchPriceFactor: 0.5, completion: oneMinute, deadlineMs: 3_600_000, liveBudgetMs: 10_000 };

describe('decideBatch', () => {
  it('sends a patient request with a far deadline to batch: the same answer at half the price', () => {
    const d = decideBatch(base, patient);
    expect(d).toMatchObject({ choice: 'batch', why: 'batch_better', pInTime: 1, cutoffMs: 3_590_000 });
    expect(d.liveValue).toBeCloseTo(0.045 - 0.01, 12);
    expect(d.batchValue).toBeCloseTo(0.045 - 0.005, 12);
  });

  it('stays live when the deadline leaves no room for a live rescue', () => {
    expect(decideBatch({ ...base, deadlineMs: 9_000 }, patient)).toMatchObject({ choice: 'live', why: 'deadline_too_close', pInTime: 0 });
  });

  it('stays live when the batch cannot end before the cutoff: a rescue would pay twice', () => {
    const d = decideBatch({ ...base, deadlineMs: 40_000 }, patient);
    expect(d).toMatchObject({ choice: 'live', why: 'live_better', pInTime: 0 });
    expect(d.batchValue).toBeCloseTo(0.045 - 0.015, 12);
  });

  it('stays live when the caller prices waiting above the saving', () => {
    expect(decideBatch(base, { valueUsd: 0.05, latencyUsdPerSecond: 0.001 }).choice).toBe('live');
  });

  it('weighs the in-time and the rescued outcome by P(done before the cutoff)', () => {
    // Uniform over 100 s; cutoff 50 s: P = 0.5, E[T | in time] = 25 s.
    const d = decideBatch(
      { live: { pGood: 1, expectedCostUsd: 0.01, expectedLatencyMs: 1_000 }, batchPriceFactor: 0.5, completion: documentedBound(100_000), deadlineMs: 60_000, liveBudgetMs: 10_000 },
      { valueUsd: 0.1, latencyUsdPerSecond: 0.001 },
    );
    expect(d.pInTime).toBe(0.5);
    expect(d.liveValue).toBeCloseTo(0.1 - 0.01 - 0.001, 12);
    // in time: 0.1 − 0.005 − 0.025; rescued: 0.1 − 0.015 − 0.051.
    expect(d.batchValue).toBeCloseTo(0.5 * 0.07 + 0.5 * 0.034, 12);
    expect(d.choice).toBe('live');
  });

  it('a rescued batch that is not paid for costs only time', () => {
    const d = decideBatch({ ...base, deadlineMs: 40_000, rescuePaysBatch: 0 }, patient);
    expect(d.batchValue).toBeCloseTo(d.liveValue, 12);
  });

  it('with waiting free, a later deadline never makes batch worse, and batch never wins without a discount (property)', () => {
    const heavy = logNormalCompletion(600_000, 7_200_000);
    fc.assert(
      fc.property(fc.double({ min: 1, max: 1e8, noNaN: true }), fc.double({ min: 0, max: 1e8, noNaN: true }), fc.double({ min: 0.1, max: 1, noNaN: true }), (deadline, more, factor) => {
        const c = { ...base, completion: heavy, batchPriceFactor: factor };
        const early = decideBatch({ ...c, deadlineMs: deadline }, patient);
        const late = decideBatch({ ...c, deadlineMs: deadline + more }, patient);
        if (late.batchValue < early.batchValue - 1e-12) return false;
        return factor < 1 || late.choice === 'live';
      }),
    );
  });
});
