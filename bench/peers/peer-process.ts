// A peer (the LiteLLM proxy, the Portkey gateway) as a child process on loopback: installing it
// through its infra script, picking a free port, streaming its output to a log file, waiting
// until it answers, and stopping it. One copy, so both peers start, fail and stop the same way;
// each peer's module supplies only its command line, environment and readiness check.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { REPO_ROOT, sleep } from '../support/env';

/**
 * Runs `bash <script> install` (e.g. infra/litellm.sh) from the repository root and returns the
 * version it prints last; throws with its output if it fails or prints no version.
 */
export async function installPeer(script: string): Promise<string> {
  const child = spawn('bash', [join(REPO_ROOT, script), 'install'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const version = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !/^\d+\.\d+/.test(version)) throw new Error(`${script} install failed (exit ${code}): ${out}`);
  return version;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface PeerProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  child: ChildProcess;
  /** The log file its stdout and stderr stream to (absolute). */
  logFile: string;
  /** The process's stdout and stderr so far (the last ~1 MB once it grows past 2 MB). */
  output(): string;
  /** SIGTERM, SIGKILL after the grace period; then closes the log file. */
  close(): Promise<void>;
}

export interface PeerProcessSpec {
  /** The peer's name in errors, e.g. `LiteLLM`. */
  name: string;
  /** Made absolute and created; the peer's working directory, holding its log file (and the caller's config). */
  logDir: string;
  /** The log file's name in logDir (appended to across starts). */
  logFile: string;
  /** How to run the peer so that it listens on 127.0.0.1:`port`; its environment is exactly `env`. */
  command(port: number): { file: string; args: string[]; env: Record<string, string> };
  /** The readiness probe: GET this path answers 2xx ... */
  readyPath: string;
  /** ... and, if set, its body contains this text. */
  readyBodyIncludes?: string;
  readyTimeoutMs: number;
  /** Pause between readiness probes. */
  pollMs: number;
  /** How long close() waits after SIGTERM before SIGKILL. */
  killGraceMs: number;
}

/** Starts the peer on a free port (three tries: the port is free when picked, not necessarily when bound). */
export async function startPeerProcess(spec: PeerProcessSpec): Promise<PeerProcess> {
  const logDir = resolve(spec.logDir);
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, spec.logFile);
  const log = createWriteStream(logFile, { flags: 'a' });
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(); // closed before the peer binds it: a rare race, hence the retry
    try {
      return { ...(await launch(spec, port, logDir, log)), logFile };
    } catch (e) {
      lastError = e as Error;
    }
  }
  log.end();
  throw lastError ?? new Error(`${spec.name} did not start`);
}

async function launch(spec: PeerProcessSpec, port: number, logDir: string, log: NodeJS.WritableStream): Promise<Omit<PeerProcess, 'logFile'>> {
  const url = `http://127.0.0.1:${port}`;
  const { file, args, env } = spec.command(port);
  const child = spawn(file, args, { cwd: logDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const append = (d: Buffer) => {
    log.write(d);
    text += d.toString();
    if (text.length > 2_000_000) text = text.slice(-1_000_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(spec.killGraceMs)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  };
  const deadline = Date.now() + spec.readyTimeoutMs;
  for (;;) {
    if (dead) throw new Error(`${spec.name} exited during start-up (port ${port}):\n${text.slice(-4000)}`);
    if (Date.now() > deadline) {
      await close();
      throw new Error(`${spec.name} not ready on ${url} within ${spec.readyTimeoutMs} ms:\n${text.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${url}${spec.readyPath}`, { signal: AbortSignal.timeout(2000) });
      if (res.ok && (spec.readyBodyIncludes === undefined || (await res.text()).includes(spec.readyBodyIncludes))) break;
    } catch {
      // not listening yet
    }
    await sleep(spec.pollMs);
  }
  return { url, child, output: () => text, close: async () => { await close(); log.end(); } };
}
