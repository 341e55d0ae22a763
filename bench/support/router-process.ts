// Spawns the built router (dist/) as its own process, the way an operator runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './env';
import { armYaml, writeRoutingYaml } from './routing-yaml';

export interface RouterProcess {
  child: ChildProcess;
  /** Health/HTTP port. */
  port: number;
  output: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

export interface StartRouterOptions {
  env: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=…']. */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /** Output kept for `output()`: past this many characters the older half is dropped (a long bench logs a lot). */
  outputCapChars?: number;
  /** Pin the router to these CPUs (`taskset -c`, e.g. "1"): separates its own cost from contention for cores. */
  cpus?: string;
}

export async function startRouter({ env, nodeArgs = [], readyTimeoutMs = 60_000, outputCapChars = 1_000_000, cpus }: StartRouterOptions): Promise<RouterProcess> {
  const argv = [process.execPath, '--disable-warning=TimeoutNegativeWarning', ...nodeArgs, join(REPO_ROOT, 'dist/apps/router/src/main.js')];
  // taskset execs node in place: the child's pid stays the router's (CPU accounting reads it).
  const [command, ...args] = cpus ? ['taskset', '-c', cpus, ...argv] : argv;
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'log', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const append = (d: Buffer) => {
    text += d.toString();
    if (text.length > outputCapChars) text = text.slice(-Math.floor(outputCapChars / 2));
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`router not ready within ${readyTimeoutMs} ms:\n${text}`)), readyTimeoutMs);
    const check = () => {
      const m = /health on :(\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`router exited (${code}) before ready:\n${text}`));
    });
  });
  return { child, port, output: () => text, exited, kill: (signal = 'SIGTERM') => child.kill(signal) };
}

/** SIGTERM (graceful drain), SIGKILL after `timeoutMs`. */
export async function stopRouter(router: RouterProcess | undefined, timeoutMs = 45_000): Promise<void> {
  if (!router || router.child.exitCode !== null || router.child.signalCode !== null) return;
  router.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((r) => (timer = setTimeout(r, timeoutMs)));
  await Promise.race([router.exited, timeout]);
  clearTimeout(timer);
  if (router.child.exitCode === null && router.child.signalCode === null) {
    router.child.kill('SIGKILL');
    await router.exited;
  }
}

/** The router's transport stats from GET /health/ready (inFlight, peakInFlight, partitions). */
export async function routerTransportStats(router: RouterProcess): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${router.port}/health/ready`);
    const body = (await res.json()) as { info?: { consumer?: Record<string, unknown> }; error?: { consumer?: Record<string, unknown> }; details?: { consumer?: Record<string, unknown> } };
    return body.details?.consumer ?? body.info?.consumer ?? body.error?.consumer;
  } catch {
    return undefined;
  }
}

export interface BenchArm {
  id: string;
  model: string;
  totalMs?: number;
}

/** Writes a routing table whose arms all call the simulator's OpenAI API. */
export function writeRoutingTable(simUrl: string, arms: BenchArm[]): string {
  const armLines = arms.flatMap((a) =>
    armYaml({ id: a.id, provider: 'sim-openai', model: a.model, pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, contextWindow: 128000, connectMs: 2000, totalMs: a.totalMs ?? 30000 }),
  );
  return writeRoutingYaml('switchyard-bench-', ['providers:', '  sim-openai:', '    kind: openai', `    baseUrl: ${simUrl}/openai/v1`, 'arms:', ...armLines]);
}
