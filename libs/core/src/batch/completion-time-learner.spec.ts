import { CompletionTimeLearner } from './completion-time-learner';
import { logNormalCompletion } from './completion-time';

const HOUR = 3_600_000;

describe('CompletionTimeLearner', () => {
  it('uses the documented bound until enough batches of the arm have completed', () => {
    const learner = new CompletionTimeLearner({ windowMs: 24 * HOUR, minSamples: 3 });
    learner.observe('a', 60_000);
    learner.observe('a', 60_000);
    expect(learner.model('a').cdf(12 * HOUR)).toBeCloseTo(0.5, 12);
    learner.observe('a', 120_000);
    expect(learner.model('a').cdf(12 * HOUR)).toBe(1);
    expect(learner.model('a').cdf(90_000)).toBeCloseTo(2 / 3, 12);
    expect(learner.model('b').cdf(12 * HOUR)).toBeCloseTo(0.5, 12);
  });

  it('counts an expiry as the whole window, so it lowers P(done in time)', () => {
    const learner = new CompletionTimeLearner({ windowMs: 24 * HOUR, minSamples: 2 });
    learner.observe('a', 60_000);
    learner.observe('a', 0, true);
    expect(learner.model('a').cdf(23 * HOUR)).toBe(0.5);
  });

  it('keeps only the most recent completions', () => {
    const learner = new CompletionTimeLearner({ windowMs: 24 * HOUR, minSamples: 1, maxSamples: 2 });
    learner.observe('a', 10 * HOUR);
    learner.observe('a', 60_000);
    learner.observe('a', 60_000);
    expect(learner.sampleCount('a')).toBe(2);
    expect(learner.model('a').cdf(HOUR)).toBe(1);
  });

  it('starts from a configured prior instead of the documented bound', () => {
    const learner = new CompletionTimeLearner({ windowMs: 24 * HOUR, minSamples: 1, prior: logNormalCompletion(60_000, 120_000) });
    expect(learner.model('a').cdf(60_000)).toBeCloseTo(0.5, 9);
    learner.observe('a', 10 * HOUR);
    expect(learner.model('a').cdf(HOUR)).toBe(0);
  });
});
