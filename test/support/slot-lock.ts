import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './env';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims `lockDir` (a test broker's or Redis's slot under .infra) for this process. mkdir is
 * atomic: whoever creates the lock dir owns the slot until its pid dies; a dir left by a dead
 * owner is taken over.
 */
export function claimSlot(lockDir: string): boolean {
  mkdirSync(join(REPO_ROOT, '.infra'), { recursive: true });
  try {
    mkdirSync(lockDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let owner = 0;
    try {
      owner = Number(readFileSync(join(lockDir, 'owner'), 'utf8'));
    } catch {
      // Being claimed right now (no owner file yet) unless the lock dir is old.
      if (Date.now() - statSync(lockDir).mtimeMs < 60_000) return false;
    }
    if (owner && pidAlive(owner)) return false;
    rmSync(lockDir, { recursive: true, force: true });
    try {
      mkdirSync(lockDir);
    } catch {
      return false;
    }
  }
  writeFileSync(join(lockDir, 'owner'), String(process.pid));
  return true;
}
