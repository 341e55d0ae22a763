// bench:peers — the LiteLLM proxy side by side with Switchyard on the same scenarios:
//   npm run bench:peers -- [--scenario a.yaml,b.yaml] [--peers litellm,portkey] [--time-scale 1]
//                          [--seed N] [--out dir] [--policies switchyard,static-chain]
// Default scenarios: the four of the seed table. For each scenario, the LiteLLM proxy and the
// Portkey gateway (HTTP, their strongest reliability settings: bench/peers/litellm.ts, portkey.ts)
// and Switchyard (Kafka, the router process) run at the same time, each in front of its own
// simulator with the same scenario and seed, fed the same arrivals. Latency is measured at each
// client; attempts are counted at each simulator. Router and simulator output goes to <out>/logs/,
// each peer's to <out>/<peer>-logs/<scenario>/; a lost request (no answer) fails the run (exit 1)
// after the reports are written.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadScenario, type Scenario } from '../policy/scenario';
import { buildWorld, type World } from '../policy/world';
import { REPO_ROOT } from '../support/env';
import { ensureBroker } from '../support/kafka-broker';
import { benchKafka } from '../support/kafka-io';
import { routerTarget, runLiveJobs, type LiveJob, type LiveJobResult } from '../live/engine';
import { parsePolicies, type LivePolicy } from '../live/policies';
import { finishLiveRun, scenarioMd, summariseScenario, writeSummary } from '../live/report';
import { scaleScenario } from '../live/scale';
import { SEED_ROWS } from '../live/seed-table';
import { ensureLiteLLM, LITELLM_STRONGEST } from './litellm';
import { liteLLMTarget } from './litellm-target';
import { ensurePortkey, PORTKEY_STRONGEST } from './portkey';
import { portkeyTarget } from './portkey-target';
import { runLiveCli } from '../live/run-cli';

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
  let policies: LivePolicy[];
  const peers = (arg('peers') ?? 'litellm,portkey').split(',').map((p) => p.trim()).filter(Boolean);
  try {
    for (const p of peers) if (p !== 'litellm' && p !== 'portkey') throw new Error(`--peers: unknown peer "${p}"; peers: litellm, portkey`);
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
  const versions: string[] = [];
  if (peers.includes('litellm')) {
    log('peers: installing / checking the LiteLLM proxy (infra/litellm.sh install)');
    versions.push(`LiteLLM ${(await ensureLiteLLM()).version}`);
  }
  if (peers.includes('portkey')) {
    log('peers: installing / checking the Portkey gateway (infra/portkey.sh install)');
    versions.push(`Portkey gateway ${(await ensurePortkey()).version}`);
  }
  log(`peers: ${versions.join(', ')}`);
  mkdirSync(out, { recursive: true });
  const jobs: LiveJob[] = scenarios.flatMap(({ scenario, world }) => [
    ...(peers.includes('litellm') ? [{ name: `${scenario.name}/litellm`, scenario, world, policy: 'litellm', target: liteLLMTarget(join(out, 'litellm-logs')) }] : []),
    ...(peers.includes('portkey') ? [{ name: `${scenario.name}/portkey`, scenario, world, policy: 'portkey', target: portkeyTarget(join(out, 'portkey-logs')) }] : []),
    ...policies.map((p) => ({ name: `${scenario.name}/${p}`, scenario, world, policy: p, target: routerTarget(p) })),
  ]);
  const longest = Math.max(...scenarios.map((s) => s.scenario.duration));
  log(`peers: ${jobs.length} runs at once, time scale ${timeScale}, ≈ ${(longest / 60_000).toFixed(1)} min + start-up and drain`);
  const broker = ensureBroker();
  const wallStart = Date.now();
  let results: LiveJobResult[];
  try {
    results = await runLiveJobs(jobs, { kafka: benchKafka(broker.brokers), brokers: broker.brokers, logDir: join(out, 'logs'), log });
  } finally {
    broker.stop();
  }
  const md = [
    `# Peers: ${versions.join(' and ')} vs Switchyard`,
    '',
    ...(peers.includes('litellm')
      ? [`- **litellm**: ${versions.find((v) => v.startsWith('LiteLLM'))} from PyPI (pinned in bench/peers/requirements-litellm.txt; offline: local cost map, no telemetry, no database), its strongest reliability settings (\`LITELLM_STRONGEST\` in bench/peers/litellm.ts: ${JSON.stringify(LITELLM_STRONGEST)}), called over HTTP.`]
      : []),
    ...(peers.includes('portkey')
      ? [`- **portkey**: ${versions.find((v) => v.startsWith('Portkey'))} from npm (pinned in infra/portkey.sh; headless, bound to 127.0.0.1), its strongest reliability config (\`PORTKEY_STRONGEST\` in bench/peers/portkey.ts: ${JSON.stringify(PORTKEY_STRONGEST)}), called over HTTP.`]
      : []),
    `- **${policies.join(', ')}**: the Switchyard router process, called over Kafka.`,
    '',
    `Each system has its own provider-sim with the same scenario and seed (${scenarios.map((s) => s.world.seed).join(', ')}) and receives the same arrivals at the same instants. ` +
      `Time scale ${timeScale}${timeScale === 1 ? ' (real time)' : ' (event times and run length divided by it)'}. Latency at the client (HTTP: request → response; Kafka: publish → response record), attempts at the simulator. Wall time ${((Date.now() - wallStart) / 1000).toFixed(0)} s.`,
    '',
  ];
  for (const { file, scenario, world } of scenarios) {
    const summary = summariseScenario(results, scenario, world, out);
    writeSummary(join(out, scenario.name), scenario, file, world, timeScale, summary, results);
    md.push(scenarioMd(scenario, timeScale, summary, 'system'));
  }
  finishLiveRun('peers', md, results, out, 'router and simulator logs');
}

runLiveCli('peers', main);
