// bench:live — scenarios in real time through real Kafka, the router process and provider-sim.
//   npm run bench:live -- --scenario bench/scenarios/primary-outage-5min.yaml [--policies a,b]
//                         [--time-scale 1] [--seed N] [--out dir]
//   npm run bench:live -- --seed-table [--time-scale 4] [--out dir]
// Every (scenario, policy) pair runs at the same time (one router + one simulator each), so a run
// lasts one scenario duration / time-scale. Writes <out>/<scenario>/summary.json (the bench:policy
// shape; regret is null: there is no oracle live), <out>/report.md and, with --seed-table,
// <out>/seed-table.{md,json}: simple retry vs Switchyard per row of the seed article's table.
// Every router's and simulator's output goes to <out>/logs/; a lost request (no response, no DLQ
// record) fails the run with exit code 1 after the reports are written.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadScenario, type Scenario } from '../policy/scenario';
import { buildWorld, type World } from '../policy/world';
import { REPO_ROOT } from '../support/env';
import { ensureBroker } from '../support/kafka-broker';
import { benchKafka } from '../support/kafka-io';
import { routerTarget, runLiveJobs, type LiveJob, type LiveJobResult } from './engine';
import { parsePolicies, type LivePolicy } from './policies';
import { finishLiveRun, scenarioMd, summariseScenario, writeSummary } from './report';
import { scaleScenario } from './scale';
import { SEED_ROWS, seedRow, seedTableMd, type SeedRow } from './seed-table';
import { runLiveCli } from './run-cli';

const SEED_SCENARIOS = Object.keys(SEED_ROWS).map((n) => join(REPO_ROOT, 'bench', 'scenarios', `${n}.yaml`));
const USAGE = 'usage: bench:live -- (--scenario <file.yaml>[,<file.yaml>…] | --seed-table) [--policies a,b] [--time-scale 1] [--seed N] [--out dir]';

interface Args {
  files: string[];
  seedTable: boolean;
  policies: LivePolicy[];
  timeScale: number;
  seed?: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seedTable = argv.includes('--seed-table');
  const files = [...(seedTable ? SEED_SCENARIOS : []), ...(get('scenario')?.split(',').filter(Boolean) ?? [])];
  if (files.length === 0) throw new Error(USAGE);
  const timeScale = Number(get('time-scale') ?? '1');
  if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number (1 = real time), got ${get('time-scale')}`);
  const seed = get('seed');
  return {
    files,
    seedTable,
    policies: parsePolicies(get('policies') ?? (seedTable ? 'simple-retry,switchyard' : undefined)),
    timeScale,
    seed: seed === undefined ? undefined : Number(seed),
    out: get('out') ?? join(REPO_ROOT, 'bench', 'results', 'live', seedTable ? 'seed-table' : basename(files[0], '.yaml')),
  };
}

async function main(): Promise<void> {
  let args: Args;
  const scenarios: Array<{ file: string; scenario: Scenario; world: World }> = [];
  try {
    args = parseArgs(process.argv.slice(2));
    for (const file of args.files) {
      const scenario = scaleScenario(loadScenario(file), args.timeScale);
      // Arms joining or leaving at a request index are simulated in-process only (bench:policy).
      if (scenario.events.some((e) => e.type === 'arm-added' || e.type === 'arm-removed')) throw new Error(`${file}: arm-added / arm-removed events run in bench:policy only`);
      scenarios.push({ file, scenario, world: buildWorld(scenario, args.seed ?? scenario.baseSeed) });
    }
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const jobs: LiveJob[] = scenarios.flatMap(({ scenario, world }) => args.policies.map((policy) => ({ name: `${scenario.name}/${policy}`, scenario, world, policy, target: routerTarget(policy) })));
  const longest = Math.max(...scenarios.map((s) => s.scenario.duration));
  log(`live: ${jobs.length} runs at once (${scenarios.length} scenario(s) × ${args.policies.join(', ')}), time scale ${args.timeScale}, ≈ ${(longest / 60_000).toFixed(1)} min + start-up and drain`);
  const broker = ensureBroker();
  const wallStart = Date.now();
  let results: LiveJobResult[];
  try {
    results = await runLiveJobs(jobs, { kafka: benchKafka(broker.brokers), brokers: broker.brokers, logDir: join(args.out, 'logs'), log });
  } finally {
    broker.stop();
  }
  const wallS = (Date.now() - wallStart) / 1000;
  mkdirSync(args.out, { recursive: true });
  const md: string[] = [
    '# Live benchmark',
    '',
    `Real Kafka, one router process and one provider-sim process per (scenario, policy), all at once; seed ${scenarios.map((x) => x.world.seed).join(', ')}, time scale ${args.timeScale} ` +
      `(${args.timeScale === 1 ? 'real time' : 'event times and run length divided by it; latencies, Retry-After, timeouts and the arrival rate unchanged'}). ` +
      `Latency is measured at the client (publish → response received). Wall time ${wallS.toFixed(0)} s. One run per policy: no confidence intervals; regret needs the oracle, which exists only in bench:policy.`,
    '',
  ];
  const rows: SeedRow[] = [];
  for (const { file, scenario, world } of scenarios) {
    const summary = summariseScenario(results, scenario, world, args.out);
    const byPolicy = new Map(results.filter((x) => x.job.scenario === scenario).map((r) => [r.job.policy, r]));
    writeSummary(join(args.out, scenario.name), scenario, file, world, args.timeScale, summary, results);
    md.push(scenarioMd(scenario, args.timeScale, summary));
    const simple = byPolicy.get('simple-retry');
    const sw = byPolicy.get('switchyard');
    if (simple && sw) {
      const row = seedRow(scenario.name, world, simple.records, sw.records, summary.switchyard.failoverMs);
      if (row) rows.push(row);
    }
  }
  if (rows.length) {
    md.push('## Seed table: simple retry vs Switchyard', '', seedTableMd(rows), '');
    writeFileSync(join(args.out, 'seed-table.json'), `${JSON.stringify({ timeScale: args.timeScale, rows }, null, 2)}\n`);
    writeFileSync(join(args.out, 'seed-table.md'), `${seedTableMd(rows)}\n`);
  }
  finishLiveRun('live', md, results, args.out, 'process logs');
}

runLiveCli('live', main);
