// Paths and small helpers shared by the benchmarks (bench/ never imports from test/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest ancestor whose package.json is Switchyard's (works from ts and dist). */
function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'switchyard') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the Switchyard repository root above ${from}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wall clock with sub-millisecond resolution (epoch ms, fractional), comparable to Date.now(). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
