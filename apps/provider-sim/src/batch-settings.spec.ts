import { DEFAULT_BATCH_SETTINGS, drawFate, parseBatchSettings } from './batch-settings';

describe('batch settings', () => {
  const settings = parseBatchSettings({ completion: { medianMs: 1_000, p95Ms: 4_000 }, windowMs: 10_000 });

  it('draws the median completion time at the middle uniform, scaled like every latency', () => {
    expect(drawFate(settings, 1, [0.5, 0.25, 0.9, 0.9])).toEqual({ kind: 'ends', afterMs: 1_000 });
    expect(drawFate(settings, 0.5, [0.5, 0.25, 0.9, 0.9])).toEqual({ kind: 'ends', afterMs: 500 });
  });

  it('expires at the window a batch whose drawn time exceeds it', () => {
    // z = 4.5 (the clip): 1000 * 4^(4.5/1.645) >> 10 s.
    expect(drawFate(settings, 1, [0.999999, 0, 0.9, 0.9])).toEqual({ kind: 'expires', afterMs: 10_000 });
  });

  it('injects whole-batch expiry before failure, by their rates', () => {
    const risky = parseBatchSettings({ expireRate: 0.1, failRate: 0.2 }, settings);
    expect(drawFate(risky, 1, [0.5, 0.25, 0.05, 0.9]).kind).toBe('expires');
    expect(drawFate(risky, 1, [0.5, 0.25, 0.5, 0.1]).kind).toBe('fails');
    expect(drawFate(risky, 1, [0.5, 0.25, 0.5, 0.5]).kind).toBe('ends');
  });

  it('keeps unspecified knobs and refuses unknown ones', () => {
    expect(parseBatchSettings({ failRate: 0.5 }).completion).toEqual(DEFAULT_BATCH_SETTINGS.completion);
    expect(() => parseBatchSettings({ completionMs: 5 })).toThrow();
    expect(() => parseBatchSettings({ failRate: 2 })).toThrow();
  });
});
