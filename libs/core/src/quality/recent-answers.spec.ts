import fc from 'fast-check';
import { cosine, RecentAnswers } from './recent-answers';

const v = (...xs: number[]) => Float32Array.from(xs);

describe('RecentAnswers', () => {
  it('keeps the last N answers per class and scores a vector by its nearest one', () => {
    const recent = new RecentAnswers();
    recent.add('chat', v(1, 0), 2);
    recent.add('chat', v(0, 1), 2);
    recent.add('chat', v(1, 1), 2);
    recent.add('other', v(1, 0), 2);
    expect(recent.count('chat')).toBe(2);
    // (1, 0) was pushed out: the nearest to (1, 0) is now (1, 1).
    expect(recent.nearest('chat', v(1, 0), 10)).toBeCloseTo(Math.SQRT1_2, 6);
    expect(recent.nearest('other', v(1, 0), 10)).toBeCloseTo(1, 6);
    expect(recent.nearest('none', v(1, 0), 10)).toBeUndefined();
  });

  it('compares with the last `recent` only', () => {
    const recent = new RecentAnswers();
    recent.add('chat', v(1, 0), 10);
    recent.add('chat', v(0, 1), 10);
    expect(recent.nearest('chat', v(1, 0), 1)).toBeCloseTo(0, 6);
  });

  it('cosine is symmetric, within [-1, 1], and 1 for a vector with itself', () => {
    const vec = fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 3, maxLength: 3 }).map((xs) => Float32Array.from(xs));
    fc.assert(
      fc.property(vec, vec, (a, b) => {
        const c = cosine(a, b);
        expect(c).toBeGreaterThanOrEqual(-1 - 1e-6);
        expect(c).toBeLessThanOrEqual(1 + 1e-6);
        expect(c).toBeCloseTo(cosine(b, a), 6);
        if (a.some((x) => Math.abs(x) > 1e-3)) expect(cosine(a, a)).toBeCloseTo(1, 4);
      }),
    );
  });
});
