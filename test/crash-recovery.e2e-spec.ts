import { singleArm, useStack } from './support/stack';

/**
 * kill -9 mid-run, then a restart: every request is answered, and no id that was answered before
 * the crash reaches a provider again (its redelivery is answered from the response log).
 */
describe('crash recovery', () => {
  const stack = useStack({
    prefix: 'crash',
    seed: 11,
    ...singleArm({ medianMs: 300, p95Ms: 600 }),
  });

  it('answers every request after kill -9 and never calls a provider again for an answered id', async () => {
    const env = {
      // Commit rarely so the crash leaves many answered-but-uncommitted requests to be redelivered.
      ROUTER_COMMIT_INTERVAL_MS: '5000',
      ROUTER_MAX_IN_FLIGHT: '40',
      // A killed member holds its partitions until its session times out; keep the test short.
      KAFKA_SESSION_TIMEOUT_MS: '8000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    };
    await stack.startRouter(env);
    const ids = Array.from({ length: 600 }, (_, i) => `c-${i}`);
    await stack.publish(ids);

    await stack.responses.waitFor((c) => c.distinctKeys() >= 150, 60_000, '150 responses before the crash');
    stack.router.kill('SIGKILL');
    await stack.router.exited;
    // The dead process publishes nothing more; let the collector catch up with what it did publish.
    await new Promise((r) => setTimeout(r, 2_000));
    const answeredBeforeCrash = new Set(stack.responses.records.map((r) => r.key!));
    expect(answeredBeforeCrash.size).toBeLessThan(ids.length);

    await stack.startRouter(env);
    await stack.responses.waitFor((c) => c.distinctKeys() >= ids.length, 120_000, 'every request answered after restart');

    const callsById = new Map<string, number>();
    for (const call of stack.sim.calls()) callsById.set(call.requestId!, (callsById.get(call.requestId!) ?? 0) + 1);
    const repeated = [...answeredBeforeCrash].filter((id) => (callsById.get(id) ?? 0) !== 1);
    expect(repeated).toEqual([]);
    for (const id of ids) expect(callsById.get(id)).toBeGreaterThanOrEqual(1);

    // Any duplicate on the response topic is a byte-identical re-publish.
    for (const [, records] of stack.responses.byKey()) {
      for (const r of records) expect(r.value.equals(records[0].value)).toBe(true);
    }
    expect(stack.router.output()).toMatch(/loaded \d+ answered request ids/);
  });
});
