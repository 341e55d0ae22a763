import { RepeatFilter } from './repeat-filter';

describe('RepeatFilter', () => {
  it('writes a repeated line once per window, then with the count of what it held back', () => {
    let now = 0;
    const filter = new RepeatFilter(30_000, () => now);
    const written: string[] = [];
    for (let i = 0; i < 100; i++) {
      now = i * 1_000;
      const line = filter.pass('Connection error: connect ECONNREFUSED 127.0.0.1:1');
      if (line) written.push(line);
    }
    expect(written).toEqual([
      'Connection error: connect ECONNREFUSED 127.0.0.1:1',
      'Connection error: connect ECONNREFUSED 127.0.0.1:1 (and 29 more like it in the last 30 s)',
      'Connection error: connect ECONNREFUSED 127.0.0.1:1 (and 29 more like it in the last 30 s)',
      'Connection error: connect ECONNREFUSED 127.0.0.1:1 (and 29 more like it in the last 30 s)',
    ]);
  });

  it('lets different lines through', () => {
    const filter = new RepeatFilter(30_000, () => 0);
    expect([filter.pass('a'), filter.pass('b'), filter.pass('a')]).toEqual(['a', 'b', undefined]);
  });
});
