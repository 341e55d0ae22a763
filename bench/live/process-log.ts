// A child process's stdout and stderr streamed to a file while the run goes, so the reason a
// request was lost (a crash, a rebalance, a DLQ warning) is on disk after the run, and a long run
// holds none of it in memory. The bench's support spawners (router, simulator) keep only a capped
// tail in memory and are shared with other benchmarks, so the file is attached from here.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ProcessLog {
  path: string;
  /** Resolves once the child's output has ended and the file is flushed (or after `timeoutMs`). */
  closed(timeoutMs?: number): Promise<void>;
}

/**
 * Streams `child`'s output to `path` (truncated first). `already` is what the child printed before
 * the caller could attach (e.g. the router's start-up lines, from its in-memory tail): the spawners
 * resolve in their own 'data' handler, so nothing is emitted between that text and the listeners
 * attached here. The file ends with the child's exit code or signal.
 */
export function openProcessLog(path: string, child: ChildProcess, header: string, already = ''): ProcessLog {
  mkdirSync(dirname(path), { recursive: true });
  const file = createWriteStream(path);
  file.on('error', () => undefined); // a full disk must not crash the run; the run's own checks still apply
  file.write(`[bench] ${new Date().toISOString()} ${header} (pid ${child.pid})\n${already}`);
  // end: false: two sources share the file, and it ends once, on 'close' below.
  child.stdout?.pipe(file, { end: false });
  child.stderr?.pipe(file, { end: false });
  const finished = new Promise<void>((resolve) => file.on('close', () => resolve()));
  const end = (code: number | null, signal: NodeJS.Signals | null) => {
    if (!file.writableEnded) file.end(`[bench] ${new Date().toISOString()} exited (${signal ?? `code ${code}`})\n`);
  };
  // 'close' comes after the child's output streams ended, so the last lines are in the file.
  const gone = (child.exitCode !== null || child.signalCode !== null) && (child.stdout?.closed ?? true) && (child.stderr?.closed ?? true);
  if (gone) end(child.exitCode, child.signalCode);
  else child.once('close', end);
  return {
    path,
    closed: async (timeoutMs = 5_000) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([finished, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}
