import type { BatchRecord } from '@switchyard/core';
import { mergeBatchRecord } from './batch-record-merge';

const base: BatchRecord = { batchId: 'b', armId: 'a', requestIds: ['r1', 'r2'], submittedAt: 1, rescueAt: { r1: 9, r2: 9 }, settled: {} };

describe('mergeBatchRecord', () => {
  it('takes the first record of a batch as it is', () => {
    expect(mergeBatchRecord(undefined, base)).toBe(base);
  });

  it('unions settlements, a known one never overwritten, and keeps the first end', () => {
    const known = { ...base, settled: { r1: 'batch' as const }, end: 'completed' as const };
    const incoming = { ...base, settled: { r1: 'live' as const, r2: 'live' as const }, end: 'expired' as const };
    expect(mergeBatchRecord(known, incoming)).toEqual({ ...base, settled: { r1: 'batch', r2: 'live' }, end: 'completed' });
  });

  it('a stale echo of an older write changes nothing', () => {
    const newer = { ...base, settled: { r1: 'batch' as const, r2: 'live' as const }, end: 'completed' as const };
    expect(mergeBatchRecord(newer, base)).toEqual(newer);
  });
});
