import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffArms } from '@switchyard/core';
import { ConfigError } from './env';
import { loadRoutingTable, type LoadedRoutingTable } from './routing-table.loader';
import { RoutingTableReloader, tableHash, type ReloadTarget, type TableApplied } from './routing-table-reloader';

const arm = (id: string, input = 1) => `  - id: ${id}
    provider: sim
    model: ${id}
    pricing: { inputPer1M: ${input}, outputPer1M: 2 }
    contextWindow: 8000
    maxOutputTokens: 1000
`;
const table = (...arms: string[]) => `providers:
  sim: { kind: openai, baseUrl: http://127.0.0.1:4010/openai/v1 }
arms:
${arms.join('')}`;

/** Applies tables to an arm list, as the runtime does, and remembers what it was given. */
class FakeTarget implements ReloadTarget {
  applied: LoadedRoutingTable[] = [];
  constructor(public current: LoadedRoutingTable) {}
  applyRoutingTable(next: LoadedRoutingTable): TableApplied {
    const changes = diffArms(this.current.arms, next.arms);
    this.current = next;
    this.applied.push(next);
    return { changes, providersChanged: [], restartRequired: [], drained: Promise.resolve() };
  }
}

function setup(text = table(arm('a'), arm('b'))) {
  const path = join(mkdtempSync(join(tmpdir(), 'switchyard-reload-')), 'routing.yaml');
  writeFileSync(path, text);
  const target = new FakeTarget(loadRoutingTable(path, {}));
  const logs: string[] = [];
  const log = { log: (m: string) => logs.push(`log ${m}`), warn: (m: string) => logs.push(`warn ${m}`), error: (m: string) => logs.push(`error ${m}`) };
  let now = 1_000;
  const reloader = new RoutingTableReloader(path, text, target, { now: () => now, log, env: {} });
  return { path, target, reloader, logs, tick: () => (now += 1_000) };
}

describe('RoutingTableReloader', () => {
  it('applies a changed file: new version, hash of the new text, the arm changes reported', () => {
    const { path, target, reloader, tick } = setup();
    const next = table(arm('a', 0.5), arm('c'));
    writeFileSync(path, next);
    tick();
    const report = reloader.reload('signal');
    expect(report).toMatchObject({ trigger: 'signal', result: 'applied', version: 2, hash: tableHash(next) });
    expect(report.changes).toMatchObject({ added: ['c'], removed: ['b'], repriced: ['a'] });
    expect(target.current.arms.map((a) => a.id)).toEqual(['a', 'c']);
    expect(reloader.version).toMatchObject({ version: 2, hash: tableHash(next), loadedAt: 2_000 });
  });

  it('refuses an invalid table with the loader message, keeps the old table and version, and counts it', () => {
    const { path, target, reloader, logs } = setup();
    const bad = table(arm('a'), arm('a'));
    writeFileSync(path, bad);
    let startupMessage = '';
    try {
      loadRoutingTable(path, {});
    } catch (err) {
      startupMessage = (err as ConfigError).message;
    }
    expect(startupMessage).toMatch(/Invalid routing table/);

    const report = reloader.reload('file');

    expect(report).toMatchObject({ result: 'refused', version: 1, error: startupMessage });
    expect(target.applied).toHaveLength(0);
    expect(reloader.counts.get('file/refused')).toBe(1);
    expect(reloader.lastReload?.result).toBe('refused');
    expect(logs.some((l) => l.startsWith('error') && l.includes(startupMessage) && l.includes('keeps serving'))).toBe(true);
  });

  it('refuses unreadable YAML and a missing file the same way', () => {
    const { path, reloader } = setup();
    writeFileSync(path, 'arms: [');
    expect(reloader.reload('admin')).toMatchObject({ result: 'refused', error: expect.stringMatching(/not valid YAML/) });
    renameSync(path, `${path}.moved`);
    expect(reloader.reload('admin')).toMatchObject({ result: 'refused', error: expect.stringMatching(/Cannot read routing table/) });
    expect(reloader.version.version).toBe(1);
  });

  it('ignores a file event that leaves the text as it is, but SIGHUP re-applies it (key files, environment)', () => {
    const { target, reloader } = setup();
    expect(reloader.reload('file')).toMatchObject({ result: 'unchanged', version: 1 });
    expect(target.applied).toHaveLength(0);
    expect(reloader.reload('signal')).toMatchObject({ result: 'unchanged', version: 1 });
    expect(target.applied).toHaveLength(1);
  });

  it('reloads after the file is replaced (rename over it, as editors and ConfigMaps do)', async () => {
    const { path, reloader, target } = setup();
    const stop = reloader.watch(20);
    try {
      writeFileSync(`${path}.tmp`, table(arm('a'), arm('b'), arm('c')));
      renameSync(`${path}.tmp`, path);
      for (let i = 0; i < 200 && reloader.version.version === 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(reloader.version.version).toBe(2);
      expect(target.current.arms.map((a) => a.id)).toEqual(['a', 'b', 'c']);
      expect(reloader.counts.get('file/applied')).toBe(1);
    } finally {
      stop();
    }
  });
});
