import fc from 'fast-check';
import { OffsetTracker, PartitionOffsets } from './offset-tracker';

describe('PartitionOffsets', () => {
  it('commits only up to the lowest unfinished offset', () => {
    const p = new PartitionOffsets();
    [10, 11, 12, 13].forEach((o) => p.begin(o));
    p.complete(12);
    expect(p.committable).toBeUndefined();
    p.complete(10);
    expect(p.committable).toBe(11);
    p.complete(11);
    expect(p.committable).toBe(13);
    p.complete(13);
    expect(p.committable).toBe(14);
    expect(p.inFlight).toBe(0);
  });

  it('refuses offsets begun out of order', () => {
    const p = new PartitionOffsets();
    p.begin(5);
    expect(() => p.begin(5)).toThrow(/out of order/);
  });

  it('never reports a committable offset past an unfinished one (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(10_000), { minLength: 1, maxLength: 200 }).map((a) => a.sort((x, y) => x - y)),
        fc.func(fc.nat()),
        (offsets, order) => {
          const p = new PartitionOffsets();
          offsets.forEach((o) => p.begin(o));
          const pending = new Set(offsets);
          const completionOrder = [...offsets].sort((a, b) => order(a) - order(b) || a - b);
          for (const o of completionOrder) {
            p.complete(o);
            pending.delete(o);
            const c = p.committable;
            const lowestPending = Math.min(...pending);
            if (c !== undefined) {
              // Every offset below the committable one is finished.
              expect(pending.size === 0 || c <= lowestPending).toBe(true);
            }
          }
          expect(p.committable).toBe(offsets[offsets.length - 1] + 1);
          expect(p.inFlight).toBe(0);
        },
      ),
    );
  });
});

describe('OffsetTracker', () => {
  it('reports each moved partition once until it moves again', () => {
    const t = new OffsetTracker();
    t.begin(0, 1);
    t.begin(1, 7);
    t.complete(0, 1);
    expect(t.pendingCommits()).toEqual([[0, 2]]);
    t.markCommitted(0, 2);
    expect(t.pendingCommits()).toEqual([]);
    t.complete(1, 7);
    expect(t.pendingCommits()).toEqual([[1, 8]]);
  });

  it('drops revoked partitions so their late completions are never committed', () => {
    const t = new OffsetTracker();
    t.begin(3, 100);
    t.retain(new Set([0, 1]));
    t.complete(3, 100);
    expect(t.pendingCommits()).toEqual([]);
    expect(t.has(3)).toBe(false);
  });
});
