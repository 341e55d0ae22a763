// The sim-to-live gap: a live run's traffic split, net value and latency beside bench:policy's
// simulated router on the same scenario and seed, twice: on the scenario as written (what
// bench:policy reports) and compressed by the live run's --time-scale (the same arrivals and
// outage windows the live router met). The first difference is the compression's, the second
// what the live path (Kafka, processes, provider-sim, real time) adds.
//
//   npm run bench:gap -- --scenario bench/scenarios/flapping-provider.yaml --time-scale 3 \
//        --seed 1 --live <bench:live or bench:peers --out dir> [--policies switchyard,static-chain]
//        [--thompson '{"stalenessDecayPerMinute":0.5}'] [--draws 20] [--out <dir>]
// --draws N adds the simulated router's spread over N other provider and policy draws on the live
// run's own timeline: how far apart two runs of the same scenario and seed land by chance.
//
// With a time scale k ≠ 1, a third simulated row compresses the router's time windows too (breaker
// windows and open times, staleness per minute), to test whether unscaled windows are what a
// compressed run gets wrong. Writes <out>/gap.md and <out>/gap.json (default <live dir>/<scenario>/).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { seedMetrics } from '../policy/metrics';
import { loadScenario, type Scenario } from '../policy/scenario';
import { DEFAULT_RESILIENCE } from '@switchyard/core';
import { runPolicy, type PolicyName, type RequestRecord, type RunOptions, type ThompsonOverrides } from '../policy/simulate';
import { buildWorld } from '../policy/world';
import { firstAttemptSplit } from './report';
import { runLiveCli } from './run-cli';
import { scaleScenario } from './scale';

interface Row {
  policy: string;
  source: string;
  requests: number;
  netValuePerRequest: number;
  errorRate: number;
  p95Ms: number;
  split: Record<string, number>;
}

/**
 * The router's time windows divided by the time scale: breaker window, bucket and open times (the
 * core defaults), and the staleness fade per minute (ThompsonSelector's default 0.95 per minute,
 * so 0.95^k per compressed minute). The 429 cooldowns follow Retry-After, which is not compressed.
 */
export function timeScaledBreaker(k: number): NonNullable<RunOptions['breaker']> {
  const b = DEFAULT_RESILIENCE.breaker;
  return { windowMs: b.windowMs / k, bucketMs: b.bucketMs / k, openBaseMs: b.openBaseMs / k, openMaxMs: b.openMaxMs / k };
}

const STALENESS_PER_MINUTE = 0.95;
export function timeScaledThompson(k: number): ThompsonOverrides {
  return { stalenessDecayPerMinute: STALENESS_PER_MINUTE ** k };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A live run's records (records-<policy>.csv.gz), as far as the comparison needs them. */
function liveRecords(dir: string, policy: string, scenario: Scenario): RequestRecord[] {
  const armIndex = new Map(scenario.arms.map((a, i) => [a.id, i]));
  const lines = gunzipSync(readFileSync(join(dir, `records-${policy}.csv.gz`))).toString('utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [index, atMs, ok, success, latencyMs, firstArm, servedArm, costUsd, failure] = line.split(',');
    return {
      index: Number(index),
      at: Number(atMs),
      ok: ok === '1',
      success: success === '1',
      latencyMs: Number(latencyMs),
      costUsd: Number(costUsd),
      firstArm: firstArm ? (armIndex.get(firstArm) ?? -1) : -1,
      servedArm: servedArm ? (armIndex.get(servedArm) ?? -1) : -1,
      utility: 0,
      netValue: NaN, // taken from the live summary (computed there from the full outcome)
      ...(failure ? { failure } : {}),
    };
  });
}

function row(policy: string, source: string, scenario: Scenario, records: RequestRecord[], netValuePerRequest: number, p95Ms: number, errorRate: number): Row {
  return { policy, source, requests: records.length, netValuePerRequest, errorRate, p95Ms, split: firstAttemptSplit(scenario, records) };
}

async function main(): Promise<void> {
  const file = arg('scenario');
  const liveDir = arg('live');
  if (!file || !liveDir) throw new Error('usage: gap -- --scenario <file.yaml> --live <live out dir> [--time-scale 1] [--seed N] [--policies switchyard,static-chain] [--thompson JSON] [--draws N] [--out dir]');
  const timeScale = Number(arg('time-scale') ?? '1');
  const written = loadScenario(file);
  const scaled = scaleScenario(written, timeScale);
  const seed = Number(arg('seed') ?? written.baseSeed);
  const policies = (arg('policies') ?? 'switchyard,static-chain').split(',').filter(Boolean);
  const thompson = JSON.parse(arg('thompson') ?? '{}') as ThompsonOverrides;
  const dir = join(liveDir, written.name);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { timeScale: number; seed: number; policies: Record<string, { netValuePerRequest: number; p95Ms: number; errorRate: number }> };
  if (summary.timeScale !== timeScale || summary.seed !== seed) throw new Error(`${dir}: the live run was at time scale ${summary.timeScale}, seed ${summary.seed}; pass --time-scale ${summary.timeScale} --seed ${summary.seed}`);
  const rows: Row[] = [];
  for (const policy of policies) {
    const sims: Array<[string, Scenario, ThompsonOverrides, RunOptions]> = [
      ['sim, as written', written, thompson, {}],
      [`sim, time scale ${timeScale}`, scaled, thompson, {}],
    ];
    // What-if: the router's time windows (breaker, staleness) compressed with the scenario.
    if (timeScale !== 1) sims.push([`sim, time scale ${timeScale}, router windows ÷ ${timeScale}`, scaled, { ...timeScaledThompson(timeScale), ...thompson }, { breaker: timeScaledBreaker(timeScale) }]);
    for (const [source, scenario, th, options] of sims) {
      const world = buildWorld(scenario, seed);
      const run = await runPolicy(scenario, world, policy as PolicyName, policy === 'switchyard' ? th : {}, options);
      const m = seedMetrics(run, undefined, world);
      rows.push(row(policy, source, scenario, run.records, m.netValuePerRequest, m.p95Ms, m.errorRate));
    }
    const live = summary.policies[policy];
    if (live) rows.push(row(policy, `live, time scale ${timeScale}`, scaled, liveRecords(dir, policy, scaled), live.netValuePerRequest, live.p95Ms, live.errorRate));
  }
  // The simulated router's spread on the live run's own timeline (same arrivals and outage windows):
  // other provider and policy draws, as a live run has its own.
  const draws = Number(arg('draws') ?? '0');
  const spread: string[] = [];
  if (draws > 0) {
    const world = buildWorld(scaled, seed);
    const runs: Row[] = [];
    for (let d = 1; d <= draws; d++) {
      const other = { ...world, seed: world.seed + 1000 * d };
      const run = await runPolicy(scaled, other, 'switchyard', thompson);
      const m = seedMetrics(run, undefined, other);
      runs.push(row('switchyard', `draw ${d}`, scaled, run.records, m.netValuePerRequest, m.p95Ms, m.errorRate));
    }
    const range = (xs: number[], f: (x: number) => string) => {
      const s = [...xs].sort((a, b) => a - b);
      return `${f(s[0])} / ${f(s[Math.floor(s.length / 2)])} / ${f(s[s.length - 1])}`;
    };
    spread.push(
      `Simulated switchyard on this run's timeline (time scale ${timeScale}, seed ${seed}'s arrivals and outages) with ${draws} other provider and policy draws, min / median / max:`,
      '',
      '| measure | min / median / max |',
      '|---|---|',
      `| net value / req (USD) | ${range(runs.map((r) => r.netValuePerRequest), (x) => x.toFixed(5))} |`,
      ...written.arms.map((a) => `| ${a.id} share | ${range(runs.map((r) => r.split[a.id] ?? 0), (x) => `${(x * 100).toFixed(1)}%`)} |`),
      '',
    );
  }
  const arms = written.arms.map((a) => a.id);
  const md = [
    `# Sim-to-live gap: ${written.name}, seed ${seed}`,
    '',
    `Live run: ${dir} (time scale ${timeScale}). Simulated: bench:policy's router on the scenario as written and compressed the same way (same arrivals and outage windows as the live run)${Object.keys(thompson).length ? `, Thompson options ${JSON.stringify(thompson)}` : ''}.`,
    '',
    `| policy | run | requests | net value / req (USD) | error rate | p95 ms | ${arms.map((a) => `${a} share`).join(' | ')} |`,
    `|---|---|---|---|---|---|${arms.map(() => '---|').join('')}`,
    ...rows.map((r) => `| ${r.policy} | ${r.source} | ${r.requests} | ${r.netValuePerRequest.toFixed(5)} | ${(r.errorRate * 100).toFixed(2)}% | ${r.p95Ms.toFixed(0)} | ${arms.map((a) => `${((r.split[a] ?? 0) * 100).toFixed(1)}%`).join(' | ')} |`),
    '',
    ...spread,
  ].join('\n');
  const out = arg('out') ?? dir;
  writeFileSync(join(out, 'gap.md'), md);
  writeFileSync(join(out, 'gap.json'), `${JSON.stringify({ scenario: written.name, seed, timeScale, thompson, rows }, null, 2)}\n`);
  process.stdout.write(md);
}

runLiveCli('gap', main);
