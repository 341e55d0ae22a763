import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, kafkaBrokersString } from './env';

export interface RouterProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Spawns the built router (`dist/`) as a real process, the way an operator runs it. */
export async function startRouter(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<RouterProcess> {
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', join(REPO_ROOT, 'dist/apps/router/src/main.js')], {
    cwd: REPO_ROOT,
    // Tracing is off unless a suite points it at a Jaeger (test/tracing.e2e-spec.ts does).
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokersString(), HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'log', NO_COLOR: '1', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
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

/** Stops a router gracefully and waits for it to exit. */
export async function stopRouter(router: RouterProcess | undefined): Promise<void> {
  if (!router || router.child.exitCode !== null || router.child.signalCode !== null) return;
  router.kill('SIGTERM');
  const timeout = new Promise((r) => setTimeout(r, 45_000));
  await Promise.race([router.exited, timeout]);
  if (router.child.exitCode === null) router.kill('SIGKILL');
}

export interface TestArm {
  id: string;
  provider: 'openai' | 'anthropic';
  model: string;
  contextWindow?: number;
  totalMs?: number;
  policyGroup?: string;
  classes?: string[];
  /** USD per 1M tokens; defaults to $1 in / $2 out. */
  pricing?: { inputPer1M: number; outputPer1M: number };
}

/**
 * Writes a routing table pointing every provider at the given simulator. `extraYaml` is appended
 * as top-level sections (e.g. `resilience:`); without a `policy:` section the table uses the
 * static chain, so a suite can say which arm answers.
 */
export function routingTableFor(simUrl: string, arms: TestArm[], extraYaml = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const path = join(dir, 'routing.yaml');
  const lines = [
    'providers:',
    '  openai:',
    '    kind: openai',
    `    baseUrl: ${simUrl}/openai/v1`,
    '  anthropic:',
    '    kind: anthropic',
    `    baseUrl: ${simUrl}/anthropic`,
    'arms:',
    ...arms.flatMap((a) => [
      `  - id: ${a.id}`,
      `    provider: ${a.provider}`,
      `    model: ${a.model}`,
      `    pricing: { inputPer1M: ${a.pricing?.inputPer1M ?? 1}, outputPer1M: ${a.pricing?.outputPer1M ?? 2} }`,
      `    contextWindow: ${a.contextWindow ?? 128000}`,
      '    maxOutputTokens: 4096',
      `    timeouts: { connectMs: 1000, totalMs: ${a.totalMs ?? 20000} }`,
      ...(a.policyGroup ? [`    policyGroup: ${a.policyGroup}`] : []),
      ...(a.classes ? [`    classes: [${a.classes.join(', ')}]`] : []),
    ]),
    ...(extraYaml ? [extraYaml.trimEnd()] : []),
    // Suites that assert which arm answers use the ordered chain unless they choose a policy.
    ...(/^policy:/m.test(extraYaml) ? [] : ['policy: { selector: static-chain }']),
  ];
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}
