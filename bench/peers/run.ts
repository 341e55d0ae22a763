// bench:peers — the LiteLLM proxy side by side with Switchyard on the same scenarios:
//   npm run bench:peers -- [--scenario a.yaml,b.yaml] [--time-scale 1] [--seed N] [--out dir]
//                          [--policies switchyard,static-chain]
// Default scenarios: the four of the seed table. For each scenario, LiteLLM (HTTP, its strongest
// reliability settings, bench/peers/litellm.ts) and Switchyard (Kafka, the router process) run at
// the same time, each in front of its own simulator with the same scenario and seed, fed the same
// arrivals. Latency is measured at each client; attempts are counted at each simulator.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadScenario, ScenarioError, type Scenario } from '../policy/scenario';
import { buildWorld, type World } from '../policy/world';
import { REPO_ROOT } from '../support/env';
import { ensureBroker } from '../support/kafka-broker';
import { benchKafka } from '../support/kafka-io';
import { routerTarget, runLiveJobs, type LiveJob } from '../live/engine';
import { parsePolicies } from '../live/policies';
import { scenarioMd, summariseScenario, warnLost, writeSummary } from '../live/report';
import { scaleScenario } from '../live/scale';
import { SEED_ROWS } from '../live/seed-table';
import { ensureLiteLLM, LITELLM_STRONGEST } from './litellm';
import { liteLLMTarget } from './litellm-target';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const files = arg('scenario')?.split(',').filter(Boolean) ?? Object.keys(SEED_ROWS).map((n) => join(REPO_ROOT, 'bench', 'scenarios', `${n}.yaml`));
  const timeScale = Number(arg('time-scale') ?? '1');
  // Absolute: the proxy runs in its own working directory and reads its config from here.
  const out = resolve(arg('out') ?? join(REPO_ROOT, 'bench', 'results', 'peers'));
  const scenarios: Array<{ file: string; scenario: Scenario; world: World }> = [];
  let policies;
  try {
    if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number (1 = real time), got ${arg('time-scale')}`);
    policies = parsePolicies(arg('policies') ?? 'switchyard');
    for (const file of files) {
      const scenario = scaleScenario(loadScenario(file), timeScale);
      scenarios.push({ file, scenario, world: buildWorld(scenario, arg('seed') ? Number(arg('seed')) : scenario.baseSeed) });
    }
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log('peers: installing / checking the LiteLLM proxy (infra/litellm.sh install)');
  const { version } = await ensureLiteLLM();
  log(`peers: LiteLLM ${version}`);
  mkdirSync(out, { recursive: true });
  const jobs: LiveJob[] = scenarios.flatMap(({ scenario, world }) => [
    { name: `${scenario.name}/litellm`, scenario, world, policy: 'litellm', target: liteLLMTarget(join(out, 'litellm-logs')) },
    ...policies.map((p) => ({ name: `${scenario.name}/${p}`, scenario, world, policy: p, target: routerTarget(p) })),
  ]);
  const longest = Math.max(...scenarios.map((s) => s.scenario.duration));
  log(`peers: ${jobs.length} runs at once, time scale ${timeScale}, ≈ ${(longest / 60_000).toFixed(1)} min + start-up and drain`);
  const broker = ensureBroker();
  const wallStart = Date.now();
  let results;
  try {
    results = await runLiveJobs(jobs, { kafka: benchKafka(broker.brokers), brokers: broker.brokers, log });
  } finally {
    broker.stop();
  }
  const md = [
    '# Peers: LiteLLM proxy vs Switchyard',
    '',
    `LiteLLM ${version} (PyPI, pinned in bench/peers/requirements-litellm.txt; offline: local cost map, no telemetry, no database) with its strongest reliability settings ` +
      `(bench/peers/litellm.ts \`LITELLM_STRONGEST\`: ${JSON.stringify(LITELLM_STRONGEST)}), called over HTTP; Switchyard called over Kafka. ` +
      `Each system has its own provider-sim with the same scenario and seed (${scenarios.map((s) => s.world.seed).join(', ')}) and receives the same arrivals at the same instants. ` +
      `Time scale ${timeScale}${timeScale === 1 ? ' (real time)' : ' (event times and run length divided by it)'}. Latency at the client, attempts at the simulator. Wall time ${((Date.now() - wallStart) / 1000).toFixed(0)} s.`,
    '',
  ];
  for (const { file, scenario, world } of scenarios) {
    const summary = summariseScenario(results, scenario, world);
    writeSummary(join(out, scenario.name), scenario, file, world, timeScale, summary);
    md.push(scenarioMd(scenario, timeScale, summary, 'system'));
    warnLost(summary, scenario, log);
  }
  writeFileSync(join(out, 'report.md'), md.join('\n'));
  log(`peers: wrote ${join(out, 'report.md')}`);
  process.stdout.write(md.join('\n'));
}

main().catch((err: unknown) => {
  if (err instanceof ScenarioError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`bench:peers failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
