// Runs the provider simulator in its own process (so its HTTP work does not share the load
// generator's event loop) and reads its control API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord, SimConfigInput, SimStats } from '../../apps/provider-sim/src';
import { REPO_ROOT } from './env';

export interface SimProcess {
  url: string;
  child: ChildProcess;
  stats(): Promise<SimStats>;
  resetPeak(): Promise<void>;
  /** POST /_sim/reset: back to the boot configuration; restarts the phase clock and clears the call log. */
  reset(): Promise<void>;
  /** Calls recorded after `since` (sequence number), oldest first. */
  calls(since?: number): Promise<{ calls: CallRecord[]; lastSeq: number }>;
  close(): Promise<void>;
}

export async function startSimProcess(config: SimConfigInput, latencyScale: number): Promise<SimProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-sim-'));
  const configPath = join(dir, 'sim.json');
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/apps/provider-sim/src/main.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, SIM_PORT: '0', SIM_HOST: '127.0.0.1', SIM_CONFIG: configPath, SIM_LATENCY_SCALE: String(latencyScale), SIM_CALL_LOG_CAPACITY: '200000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider-sim not listening within 15 s:\n${text}`)), 15_000);
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`provider-sim exited before listening:\n${text}`));
    });
  });
  const getJson = async <T>(path: string, init?: RequestInit): Promise<{ body: T; res: Response }> => {
    const res = await fetch(`${url}${path}`, init);
    if (!res.ok) throw new Error(`provider-sim ${path}: HTTP ${res.status}`);
    return { body: (await res.json()) as T, res };
  };
  return {
    url,
    child,
    stats: async () => (await getJson<SimStats>('/_sim/stats')).body,
    resetPeak: async () => {
      await getJson('/_sim/stats/reset-peak', { method: 'POST' });
    },
    reset: async () => {
      await getJson('/_sim/reset', { method: 'POST' });
    },
    calls: async (since = 0) => {
      const { body, res } = await getJson<CallRecord[]>(`/_sim/calls?since=${since}&limit=200000`);
      return { calls: body, lastSeq: Number(res.headers.get('x-sim-last-seq') ?? 0) };
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 6_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
