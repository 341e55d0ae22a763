import { singleArm, useStack } from './support/stack';

/**
 * One partition, a small window: requests of the same partition run concurrently up to the
 * window (not one at a time), never beyond it, and the partition is paused and resumed until
 * everything is answered.
 */
describe('partition window', () => {
  const stack = useStack({
    prefix: 'window',
    seed: 5,
    ...singleArm({ medianMs: 150, p95Ms: 150 }),
    requestPartitions: 1,
  });

  it('keeps exactly the window in flight within one partition and answers everything', async () => {
    await stack.startRouter({ ROUTER_PARTITION_WINDOW: '8' });
    stack.sim.resetPeak();
    const ids = Array.from({ length: 200 }, (_, i) => `w-${i}`);
    await stack.publish(ids);
    await stack.responses.waitFor((c) => c.distinctKeys() >= 200, 60_000, '200 responses');
    expect(stack.sim.stats().peakInFlight).toBe(8);
    expect(stack.responses.records).toHaveLength(200);
  });
});
