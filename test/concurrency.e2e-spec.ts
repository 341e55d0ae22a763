import { singleArm, useStack } from './support/stack';

/**
 * With 2-second provider latency, one instance must keep hundreds of calls in flight (the stock
 * NestJS Kafka transport would do one per partition), and a SIGTERM must drain them: every
 * in-flight request answered, offsets committed, nothing re-called by the next instance.
 */
describe('concurrency and graceful drain', () => {
  const stack = useStack({
    prefix: 'concurrency',
    seed: 3,
    ...singleArm({ medianMs: 2_000, p95Ms: 2_000 }, 'slow'),
  });

  it('keeps at least 200 provider calls in flight from one instance', async () => {
    await stack.startRouter({ ROUTER_MAX_IN_FLIGHT: '256' });
    stack.sim.resetPeak();
    const ids = Array.from({ length: 600 }, (_, i) => `k-${i}`);
    await stack.publish(ids);
    await stack.responses.waitFor((c) => c.distinctKeys() >= 600, 90_000, '600 responses');
    expect(stack.sim.stats().peakInFlight).toBeGreaterThanOrEqual(200);
    expect(stack.sim.stats().peakInFlight).toBeLessThanOrEqual(256);
  });

  it('drains in-flight requests on SIGTERM and commits them', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `d-${i}`);
    await stack.publish(ids);
    const started = Date.now();
    while (stack.sim.calls().filter((c) => c.requestId?.startsWith('d-')).length < 100 && Date.now() - started < 30_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    stack.router.kill('SIGTERM');
    expect(await stack.router.exited).toBe(0);
    expect(stack.router.output()).toMatch(/draining/);
    const answered = new Set(stack.responses.records.map((r) => r.key));
    await stack.responses.waitFor((c) => ids.every((id) => c.byKey().has(id)), 10_000, 'drained answers');
    expect(ids.filter((id) => !answered.has(id) && !stack.responses.byKey().has(id))).toEqual([]);

    // A new instance in the same group starts after the committed offsets: no call is repeated.
    const callsBefore = stack.sim.calls().length;
    await stack.startRouter();
    await new Promise((r) => setTimeout(r, 3_000));
    expect(stack.sim.calls().length).toBe(callsBefore);
  });
});
