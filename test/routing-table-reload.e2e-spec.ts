import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { eventually } from './support/drills';
import { routingTableFor } from './support/router-process';
import { useStack } from './support/stack';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

/**
 * The routing table edited under a running router process: the file is replaced the way editors
 * and deployments do (write aside, rename over), and the router applies it without a restart —
 * a new arm serves, a removed one drains and stops — or refuses an invalid one and keeps serving
 * with the table it had.
 */
describe('routing table reload under a running router', () => {
  const stack = useStack({
    prefix: 'reload',
    seed: 5,
    models: [
      // The arm that is removed: slow enough that a call is still running when the table changes.
      { name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 2_500, p95Ms: 3_000 } },
      { name: 'claude-haiku-4-5', api: 'anthropic', latency: { medianMs: 30, p95Ms: 60 } },
    ],
    arms: [{ id: 'old', provider: 'openai', model: 'gpt-4o-mini' }],
    router: { ROUTING_TABLE_WATCH_DEBOUNCE_MS: '100', ROUTER_ADMIN_TOKEN: ADMIN_TOKEN },
  });

  const health = async () => (await (await fetch(`http://127.0.0.1:${stack.router.port}/health/routing`)).json()) as {
    routingTable: { version: number; hash: string; lastReload: { trigger: string; result: string; error?: string; changes?: Record<string, string[]> } | null };
    arms: Array<{ arm: string }>;
  };
  const metrics = async () => (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();
  /** Replaces the table file atomically (a half-written file is never read). */
  const replaceTable = (text: string) => {
    writeFileSync(`${stack.routingTable}.next`, text);
    renameSync(`${stack.routingTable}.next`, stack.routingTable);
  };
  const publish = (ids: string[]) => stack.publish(ids);
  const servedBy = (id: string) => (stack.responses.byKey().get(id)?.[0]?.json as { servedBy?: { arm: string } } | undefined)?.servedBy?.arm;


  it('serves a new arm and stops a removed one after the file changes; the call in flight on the removed arm finishes', async () => {
    expect((await health()).routingTable.version).toBe(1);
    await publish(['before-1']);
    await stack.responses.waitFor(() => servedBy('before-1') !== undefined, 30_000, 'a response before the reload');
    expect(servedBy('before-1')).toBe('old');

    await publish(['in-flight']);
    await eventually(async () => /switchyard_in_flight_requests 1\b/.test(await metrics()), 15_000, 'the request in flight on the old arm');
    // The new table drops `old` and adds `new` (another provider and model).
    replaceTable(readFileSync(routingTableFor(stack.sim.url, [{ id: 'new', provider: 'anthropic', model: 'claude-haiku-4-5' }]), 'utf8'));
    await eventually(async () => (await health()).routingTable.version === 2, 15_000, 'routing table version 2');
    const report = await health();
    expect(report.routingTable.lastReload).toMatchObject({ result: 'applied', changes: { added: ['new'], removed: ['old'] } });
    expect(report.arms.map((a) => a.arm)).toEqual(['new']);

    await stack.responses.waitFor(() => servedBy('in-flight') !== undefined, 30_000, 'the in-flight request answered');
    expect(stack.responses.byKey().get('in-flight')![0].json).toMatchObject({ status: 'ok', servedBy: { arm: 'old' } });

    const after = Array.from({ length: 10 }, (_, i) => `after-${i}`);
    await publish(after);
    await stack.responses.waitFor(() => after.every((id) => servedBy(id) !== undefined), 30_000, 'responses after the reload');
    for (const id of after) expect(servedBy(id)).toBe('new');
    expect(stack.sim.calls().filter((c) => c.requestId?.startsWith('after-') && c.model === 'gpt-4o-mini')).toEqual([]);
    expect(stack.router.output()).toMatch(/arms old drained/);
  });

  it('refuses an invalid table with the loader message, counts it, and keeps serving with the old table', async () => {
    const valid = readFileSync(stack.routingTable, 'utf8');
    replaceTable(valid.replace('maxOutputTokens: 4096', 'maxOutputTokens: -5'));
    await eventually(async () => (await health()).routingTable.lastReload?.result === 'refused', 15_000, 'the invalid table refused');
    const report = await health();
    expect(report.routingTable.version).toBe(2);
    expect(report.routingTable.lastReload?.error).toMatch(/^Invalid routing table .*arms\.0\.maxOutputTokens/);
    expect(await metrics()).toMatch(/switchyard_routing_table_reloads_total\{trigger="file",result="refused"\} 1/);
    expect(stack.router.output()).toMatch(/reload \(file\) refused, version 2 .* keeps serving: Invalid routing table/);

    await publish(['still-1', 'still-2']);
    await stack.responses.waitFor(() => servedBy('still-1') !== undefined && servedBy('still-2') !== undefined, 30_000, 'responses with the old table');
    expect([servedBy('still-1'), servedBy('still-2')]).toEqual(['new', 'new']);

    // The admin endpoint runs the same reload: without the token it is refused, with it the
    // validation message comes back (422) while the file is still invalid.
    const admin = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${stack.router.port}/admin/routing-table/reload`, { method: 'POST', headers });
    expect((await admin({})).status).toBe(401);
    expect((await admin({ authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    const refused = await admin({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ trigger: 'admin', result: 'refused', version: 2, error: expect.stringMatching(/maxOutputTokens/) });

    // Fixed (and repriced): applied, learnt state of `new` kept.
    replaceTable(valid.replace(/pricing: \{ inputPer1M: 1, outputPer1M: 2 \}/, 'pricing: { inputPer1M: 0.5, outputPer1M: 1 }'));
    await eventually(async () => (await health()).routingTable.version === 3, 15_000, 'routing table version 3');
    expect((await health()).routingTable.lastReload).toMatchObject({ result: 'applied', changes: { repriced: ['new'] } });

    // SIGHUP re-reads the file even when its text did not change (rotated key files, environment).
    stack.router.kill('SIGHUP');
    await eventually(async () => (await health()).routingTable.lastReload?.trigger === 'signal', 15_000, 'the SIGHUP reload');
    expect((await health()).routingTable).toMatchObject({ version: 3, lastReload: { trigger: 'signal', result: 'unchanged' } });
  });
});
