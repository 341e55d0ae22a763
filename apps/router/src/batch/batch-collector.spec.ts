import { BatchCollector, type Collected } from './batch-collector';

describe('BatchCollector', () => {
  afterEach(() => jest.useRealTimers());

  function collector(maxRequests: number, maxAgeMs: number, submit = jest.fn(async (_key: string, entries: string[]): Promise<Collected[]> => entries.map(() => 'batched'))) {
    return { c: new BatchCollector<string>({ maxRequests, maxAgeMs, submit }), submit };
  }

  it('submits a group once it holds maxRequests, each group on its own', async () => {
    const { c, submit } = collector(2, 60_000);
    const a = [c.add('openai/m', 10, 'r1'), c.add('anthropic/m', 10, 'r2'), c.add('openai/m', 10, 'r3')];
    await Promise.all([a[0], a[2]]);
    expect(submit).toHaveBeenCalledTimes(1);
    expect(submit).toHaveBeenCalledWith('openai/m', ['r1', 'r3']);
    expect(c.waiting).toBe(1);
    await c.flushAll();
    await expect(a[1]).resolves.toBe('batched');
  });

  it('never exceeds the provider API limit, whatever maxRequests says', async () => {
    const { c, submit } = collector(1_000, 60_000);
    await Promise.all([c.add('k', 2, 'r1'), c.add('k', 2, 'r2')]);
    expect(submit).toHaveBeenCalledWith('k', ['r1', 'r2']);
  });

  it('submits a group whose first request has waited maxAgeMs', async () => {
    jest.useFakeTimers();
    const { c, submit } = collector(100, 500);
    const done = c.add('k', 10, 'r1');
    jest.advanceTimersByTime(499);
    expect(submit).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    await expect(done).resolves.toBe('batched');
  });

  it('tells each request what its submission made of it, and rejects them all when it fails', async () => {
    const { c } = collector(2, 60_000, jest.fn(async (_k: string, _e: string[]) => ['batched', 'live'] as Collected[]));
    await expect(Promise.all([c.add('k', 10, 'r1'), c.add('k', 10, 'r2')])).resolves.toEqual(['batched', 'live']);
    const failing = collector(2, 60_000, jest.fn(async (_k: string, _e: string[]): Promise<Collected[]> => Promise.reject(new Error('upload refused')))).c;
    const both = [failing.add('k', 10, 'r1'), failing.add('k', 10, 'r2')];
    await expect(both[0]).rejects.toThrow('upload refused');
    await expect(both[1]).rejects.toThrow('upload refused');
  });
});
