import { eventually, groupLag, sleep, steadyLoad, testBrokerControl } from '../support/drills';
import { singleArm, useStack } from '../support/stack';

/**
 * Drill: the broker goes away for ~5 s in the middle of steady load and comes back on the same
 * port and data dir. The router's consumer and producer, the test's producer and collector all
 * reconnect; every request is answered (duplicates only byte-identical) and the lag returns to 0.
 */
describe('drill: broker stop and start mid-load', () => {
  const stack = useStack({
    prefix: 'drill-broker',
    seed: 22,
    ...singleArm({ medianMs: 200, p95Ms: 300 }),
    extraTopics: (t) => [`${t.tag}.outcomes`],
  });
  const { topics } = stack;
  const broker = testBrokerControl();

  it('recovers producers and consumers and answers every request', async () => {
    await stack.startRouter();
    const ids = Array.from({ length: 400 }, (_, i) => `b-${i}`);
    const load = steadyLoad(stack.producer, topics.requests, ids, 40);
    await stack.responses.waitFor((c) => c.distinctKeys() >= 60, 60_000, '60 responses before the broker stops');

    const stoppedAt = Date.now();
    broker.stop();
    await sleep(5_000);
    broker.start();
    process.stderr.write(`[drill broker] broker down for ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s\n`);

    const { sendRetries } = await load;
    await stack.responses.waitFor((c) => c.distinctKeys() >= ids.length, 90_000, 'every request answered after the broker restart');
    const byKey = stack.responses.byKey();
    for (const id of ids) expect(byKey.has(id)).toBe(true);
    const differing = [...byKey].filter(([, records]) => records.some((r) => !r.value.equals(records[0].value))).map(([id]) => id);
    expect(differing).toEqual([]);
    expect(stack.router.child.exitCode).toBeNull(); // it rode the outage out instead of crashing
    await eventually(async () => (await groupLag(stack.kafka, `${topics.tag}-router`, topics.requests)).every((l) => l === 0), 30_000, 'the router group to commit every request');
    process.stderr.write(`[drill broker] test producer retried ${sendRetries} sends; ${stack.responses.records.length} response records for ${ids.length} ids\n`);
  });
});
