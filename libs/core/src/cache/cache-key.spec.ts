import fc from 'fast-check';
import { canonicalJson } from './cache-key';

/** The recursive definition canonicalJson had before it walked iteratively: the reference. */
function recursiveCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(recursiveCanonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${recursiveCanonical(v)}`).join(',')}}`;
}

describe('canonicalJson', () => {
  it('writes what the recursive definition writes, for any JSON (so cache keys do not change)', () => {
    fc.assert(
      fc.property(fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown), (value) => {
        expect(canonicalJson(value)).toBe(recursiveCanonical(value));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes key orders alike and leaves out undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe(canonicalJson({ a: [{ d: 2 }], b: 1 }));
  });

  it('writes a value nested 100,000 levels deep without overflowing the stack', () => {
    const depth = 100_000;
    const deep = JSON.parse('{"a":['.repeat(depth) + '1' + ']}'.repeat(depth)) as unknown;
    const text = canonicalJson(deep);
    expect(text.length).toBe(depth * 8 + 1);
    expect(text.startsWith('{"a":[{"a":[')).toBe(true);
  });
});
