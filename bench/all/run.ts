// npm run bench — every benchmark, one after the other, into one report folder:
//   npm run bench -- [--out bench/results/run-<date>] [--quick] [--only a,b] [--skip a,b]
//                    [--live-time-scale 4] [--seeds 20]
// Stages: decide, policy (every scenario in bench/scenarios), live (the seed table, all live
// policies), peers (LiteLLM side by side), throughput. A progress line per stage and every 30 s
// while one runs; each stage's own output goes to <out>/<stage>.log. <out>/README.md indexes the
// results with the headline figures. A failed stage is reported and the others still run; the exit
// code is non-zero when any stage failed.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { REPO_ROOT } from '../support/env';

/** A path as the user would type it from the repository root (absolute when outside it). */
const shown = (path: string) => (relative(REPO_ROOT, path).startsWith('..') ? path : relative(REPO_ROOT, path));

interface Stage {
  name: string;
  what: string;
  /** Node script under dist/bench and its arguments. */
  runs: Array<{ script: string; args: string[]; env?: Record<string, string> }>;
  /** Markdown lines for the index, read from the stage's output. */
  headline(dir: string): string[];
}

interface Options {
  out: string;
  quick: boolean;
  only?: string[];
  skip: string[];
  liveTimeScale: number;
  seeds: number;
}

const STAGE_NAMES = ['decide', 'policy', 'live', 'peers', 'throughput'] as const;

function parseArgs(argv: string[]): Options {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean);
  const quick = argv.includes('--quick');
  const o: Options = {
    out: get('out') ?? join(REPO_ROOT, 'bench', 'results', `run-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}`),
    quick,
    only: list(get('only')),
    skip: list(get('skip')) ?? [],
    liveTimeScale: Number(get('live-time-scale') ?? (quick ? 20 : 4)),
    seeds: Number(get('seeds') ?? (quick ? 3 : 20)),
  };
  for (const s of [...(o.only ?? []), ...o.skip]) {
    if (!(STAGE_NAMES as readonly string[]).includes(s)) throw new Error(`unknown stage "${s}"; stages: ${STAGE_NAMES.join(', ')}`);
  }
  if (!(o.liveTimeScale > 0)) throw new Error('--live-time-scale must be a positive number');
  if (!(o.seeds >= 1)) throw new Error('--seeds must be ≥ 1');
  return o;
}

const readJson = <T>(file: string): T | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);

function stages(o: Options): Stage[] {
  const scenarios = readdirSync(join(REPO_ROOT, 'bench', 'scenarios')).filter((f) => f.endsWith('.yaml')).sort();
  const all: Stage[] = [
    {
      name: 'decide',
      what: 'one routing decision (µs) at 5/20/50 arms',
      runs: [{ script: 'decide/run.js', args: ['--out', join(o.out, 'decide'), '--rounds', o.quick ? '2' : '5'] }],
      headline: (dir) => {
        const r = readJson<{ results: Array<{ arms: number; p50Us: number; p99Us: number }> }>(join(dir, 'decide.json'));
        return r ? r.results.map((x) => `- ${x.arms} arms: p50 ${x.p50Us} µs, p99 ${x.p99Us} µs`) : [];
      },
    },
    {
      name: 'policy',
      what: `policy simulator, ${o.seeds} seeds × ${scenarios.length} scenarios`,
      runs: scenarios.map((f) => ({ script: 'policy/run.js', args: ['--scenario', join(REPO_ROOT, 'bench', 'scenarios', f), '--seeds', String(o.seeds), '--out', join(o.out, 'policy', basename(f, '.yaml'))] })),
      headline: (dir) =>
        scenarios.flatMap((f) => {
          const name = basename(f, '.yaml');
          const s = readJson<{ policies: Record<string, { errorRate: number; regretPerRequest: number; costPerSuccessUsd: number }> }>(join(dir, name, 'summary.json'));
          if (!s) return [];
          const p = (k: string) => s.policies[k];
          const line = (k: string) => (p(k) ? `${k} err ${(p(k).errorRate * 100).toFixed(2)}% regret ${p(k).regretPerRequest.toFixed(4)}` : '');
          return [`- [${name}](policy/${name}/report.md): ${['switchyard', 'static-chain', 'simple-retry'].map(line).filter(Boolean).join('; ')}`];
        }),
    },
    {
      name: 'live',
      what: `seed table live through Kafka (time scale ${o.liveTimeScale})`,
      runs: [{ script: 'live/run.js', args: ['--seed-table', '--policies', 'simple-retry,static-chain,switchyard', '--time-scale', String(o.liveTimeScale), '--out', join(o.out, 'live')] }],
      headline: (dir) => {
        const md = existsSync(join(dir, 'seed-table.md')) ? readFileSync(join(dir, 'seed-table.md'), 'utf8').trim().split('\n') : [];
        return md.length ? ['[report](live/report.md)', '', ...md] : [];
      },
    },
    {
      name: 'peers',
      what: 'LiteLLM proxy and Portkey gateway side by side with Switchyard',
      runs: [{ script: 'peers/run.js', args: ['--out', join(o.out, 'peers'), '--time-scale', String(o.liveTimeScale)] }],
      headline: (dir) => {
        if (!existsSync(join(dir, 'report.md'))) return [];
        const lines = readdirSync(dir).flatMap((name) => {
          const s = readJson<{ policies: Record<string, { errorRate: number; p99Ms: number; costPerSuccessUsd: number; utility: number }> }>(join(dir, name, 'summary.json'));
          if (!s) return [];
          const cells = Object.entries(s.policies).map(([p, m]) => `${p} err ${(m.errorRate * 100).toFixed(2)}% P99 ${Math.round(m.p99Ms)} ms $/ok ${m.costPerSuccessUsd.toPrecision(3)} U ${m.utility.toFixed(3)}`);
          return [`- ${name}: ${cells.join('; ')}`];
        });
        return ['[report](peers/report.md)', '', ...lines];
      },
    },
    {
      name: 'throughput',
      what: 'router throughput and added latency over Kafka',
      runs: [{ script: 'throughput/run.js', args: [], env: { BENCH_OUT: join(o.out, 'throughput'), ...(o.quick ? { BENCH_REQUESTS: '5000', BENCH_PACED_SECONDS: '5', BENCH_SLOW_IN_FLIGHT: '256' } : {}) } }],
      headline: (dir) => (existsSync(join(dir, 'throughput.md')) ? ['[throughput.md](throughput/throughput.md)'] : []),
    },
  ];
  return all.filter((s) => (!o.only || o.only.includes(s.name)) && !o.skip.includes(s.name));
}

function runScript(script: string, args: string[], env: Record<string, string> | undefined, logFile: string): Promise<number> {
  return new Promise((resolve) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`$ node dist/bench/${script} ${args.join(' ')}\n`);
    const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', join(REPO_ROOT, 'dist', 'bench', script), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('close', (code, signal) => {
      log.end(`\n(exit ${code ?? signal})\n`);
      resolve(code ?? 1);
    });
  });
}

async function main(): Promise<void> {
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\nusage: npm run bench -- [--out dir] [--quick] [--only ${STAGE_NAMES.join(',')}] [--skip …] [--live-time-scale 4] [--seeds 20]`);
    process.exit(2);
  }
  mkdirSync(o.out, { recursive: true });
  const list = stages(o);
  const started = Date.now();
  const clock = () => `${Math.round((Date.now() - started) / 1000)} s`;
  const results: Array<{ stage: Stage; ok: boolean; seconds: number }> = [];
  for (const [i, stage] of list.entries()) {
    const t0 = Date.now();
    const logFile = join(o.out, `${stage.name}.log`);
    console.log(`bench: [${i + 1}/${list.length}] ${stage.name}: ${stage.what} … (log ${shown(logFile)}, total ${clock()})`);
    const beat = setInterval(() => console.log(`bench: [${i + 1}/${list.length}] ${stage.name} running for ${Math.round((Date.now() - t0) / 1000)} s (total ${clock()})`), 30_000);
    let ok = true;
    for (const r of stage.runs) ok = (await runScript(r.script, r.args, r.env, logFile)) === 0 && ok;
    clearInterval(beat);
    const seconds = Math.round((Date.now() - t0) / 1000);
    results.push({ stage, ok, seconds });
    console.log(`bench: [${i + 1}/${list.length}] ${stage.name} ${ok ? 'done' : 'FAILED (see its log)'} in ${seconds} s`);
  }
  const index = [
    '# Switchyard benchmarks',
    '',
    `Run of ${new Date(started).toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}; ${o.quick ? 'quick mode (fewer seeds, compressed live runs: indicative only)' : 'full mode'}; ` +
      `total ${Math.round((Date.now() - started) / 60_000)} min. Each stage's console output is in \`<stage>.log\`.`,
    '',
    ...results.flatMap(({ stage, ok, seconds }) => [`## ${stage.name} — ${stage.what} (${seconds} s${ok ? '' : ', FAILED'})`, '', ...stage.headline(join(o.out, stage.name)), '']),
  ];
  writeFileSync(join(o.out, 'README.md'), index.join('\n'));
  console.log(`bench: wrote ${shown(join(o.out, 'README.md'))} in ${clock()}`);
  if (results.some((r) => !r.ok)) process.exit(1);
}

void main();
