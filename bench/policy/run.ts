// Policy benchmark: every policy over the same simulated requests and provider behaviour, on a
// virtual clock, with the real libs/core Router.
//
//   npm run bench:policy -- --scenario bench/scenarios/primary-outage-5min.yaml --seeds 20 --out <dir>
//
// Writes <dir>/summary.json, <dir>/report.md and SVG (and PNG when rsvg-convert exists) plots.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runOracle, type BudgetOracleRun } from './budget-oracle';
import { meanCi, newArmShares, ONBOARDING_REQUESTS, quantile, seedMetrics, summarise, type PolicySummary, type SeedMetrics } from './metrics';
import { svgFigure, type Panel } from './plots';
import { STATIONARY_AFTER_MS } from './stationary';
import { loadScenario, ScenarioError, type Scenario } from './scenario';
import { membershipEvents, POLICIES, runPolicy, type PolicyName, type RunResult, type ThompsonOverrides } from './simulate';
import { buildWorld, type World } from './world';

interface Args {
  scenario: string;
  seeds?: number;
  out: string;
  policies: PolicyName[];
  quiet: boolean;
  thompson: ThompsonOverrides;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const scenario = get('scenario');
  if (!scenario) throw new Error("usage: bench:policy -- --scenario <file.yaml> [--seeds 20] [--out dir] [--policies a,b] [--thompson '{\"explorationRate\":0.005}']");
  const policies = (get('policies')?.split(',') ?? [...POLICIES]) as PolicyName[];
  for (const p of policies) if (!POLICIES.includes(p)) throw new Error(`unknown policy ${p}; known: ${POLICIES.join(', ')}`);
  if (!policies.includes('oracle')) policies.push('oracle');
  const seeds = get('seeds');
  return {
    scenario,
    seeds: seeds === undefined ? undefined : Number(seeds),
    out: get('out') ?? join('bench/results/policy', basename(scenario).replace(/\.ya?ml$/, '')),
    policies,
    quiet: argv.includes('--quiet'),
    thompson: JSON.parse(get('thompson') ?? '{}') as ThompsonOverrides,
  };
}

const BINS = 60;

/** Aggregates over seeds for the plots. */
class PlotData {
  readonly share = new Map<PolicyName, number[][]>();
  readonly totals = new Map<PolicyName, number[]>();
  readonly regret = new Map<PolicyName, number[]>();
  readonly latencies = new Map<PolicyName, number[]>();
  readonly outages: Array<{ from: number; to: number }> = [];

  constructor(
    private readonly scenario: Scenario,
    private readonly policies: readonly PolicyName[],
  ) {
    for (const p of policies) {
      this.share.set(p, scenario.arms.map(() => new Array<number>(BINS).fill(0)));
      this.totals.set(p, new Array<number>(BINS).fill(0));
      this.regret.set(p, new Array<number>(BINS).fill(0));
      this.latencies.set(p, []);
    }
  }

  add(world: World, runs: Map<PolicyName, RunResult>, seeds: number): void {
    if (world.seed === this.scenario.baseSeed) for (const w of world.outageWindows) this.outages.push({ from: w.start / 60_000, to: w.end / 60_000 });
    const oracle = runs.get('oracle')!;
    for (const p of this.policies) {
      const run = runs.get(p)!;
      const share = this.share.get(p)!;
      const totals = this.totals.get(p)!;
      const regret = this.regret.get(p)!;
      const lat = this.latencies.get(p)!;
      const stride = Math.max(1, Math.floor((run.records.length * seeds) / 40_000));
      run.records.forEach((r, i) => {
        const b = Math.min(BINS - 1, Math.floor((r.at / this.scenario.duration) * BINS));
        totals[b]++;
        if (r.firstArm >= 0) share[r.firstArm][b]++;
        regret[b] += (oracle.records[i].netValue - r.netValue) / seeds;
        if (i % stride === 0) lat.push(r.latencyMs);
      });
    }
  }

  figures(): Record<string, string> {
    const binMin = (b: number) => ((b + 0.5) * this.scenario.duration) / BINS / 60_000;
    const sharePanels: Panel[] = this.policies.map((p) => ({
      title: p,
      xLabel: 'simulated minutes',
      yLabel: 'first-attempt share',
      yMin: 0,
      yMax: 1,
      bands: this.outages,
      series: this.scenario.arms.map((a, i) => ({ name: a.id, points: this.share.get(p)![i].map((c, b) => [binMin(b), c / Math.max(1, this.totals.get(p)![b])] as [number, number]) })),
    }));
    const cdf: Panel = {
      title: 'End-to-end latency CDF (all requests, all seeds)',
      xLabel: 'latency ms (log)',
      yLabel: 'fraction of requests',
      xLog: true,
      yMin: 0,
      yMax: 1,
      series: this.policies.map((p) => {
        const sorted = Float64Array.from(this.latencies.get(p)!).sort();
        const pts: Array<[number, number]> = [];
        for (let k = 0; k <= 200; k++) pts.push([Math.max(1, quantile(sorted, k / 200)), k / 200]);
        return { name: p, points: pts, dashed: p === 'oracle' };
      }),
    };
    const regret: Panel = {
      title: 'Cumulative regret vs oracle (mean over seeds)',
      xLabel: 'simulated minutes',
      yLabel: 'Σ (oracle − policy) net value, USD',
      bands: this.outages,
      series: this.policies
        .filter((p) => p !== 'oracle')
        .map((p) => {
          let acc = 0;
          return { name: p, points: this.regret.get(p)!.map((r, b) => [binMin(b), (acc += r)] as [number, number]) };
        }),
    };
    return {
      'traffic-share': svgFigure(`${this.scenario.name}: first-attempt traffic share per arm (shaded: outages, seed ${this.scenario.baseSeed})`, sharePanels, 2, 520, 260),
      'latency-cdf': svgFigure(`${this.scenario.name}: latency`, [cdf], 1, 760, 420),
      'cumulative-regret': svgFigure(`${this.scenario.name}: regret`, [regret], 1, 760, 420),
    };
  }
}

interface NewArmSummary {
  arm: string;
  atRequest: number;
  /** Per policy: share of first attempts in the ONBOARDING_REQUESTS requests after the arm joined, and after that. */
  shares: Record<string, { onboarding: { mean: number; ci95: number }; after: { mean: number; ci95: number } }>;
  /** switchyard's onboarding share / the oracle's (mean over seeds of each). */
  onboardingVsOracle: number | null;
}

/** First-attempt shares of arms added mid-run, per policy and seed. */
class Onboarding {
  private readonly added: Array<{ arm: number; id: string; at: number; removedAt?: number }>;
  private readonly shares = new Map<string, Map<PolicyName, Array<{ onboarding: number; after: number }>>>();

  constructor(
    scenario: Scenario,
    private readonly policies: readonly PolicyName[],
  ) {
    const events = membershipEvents(scenario);
    this.added = events.flatMap((e) => {
      if (e.type !== 'arm-added') return [];
      const removed = events.find((r) => r.type === 'arm-removed' && r.arm === e.arm && r.atRequest > e.atRequest);
      return [{ arm: scenario.arms.findIndex((a) => a.id === e.arm), id: e.arm, at: e.atRequest, removedAt: removed?.atRequest }];
    });
    for (const a of this.added) this.shares.set(a.id, new Map(policies.map((p) => [p, []])));
  }

  add(runs: Map<PolicyName, RunResult>): void {
    for (const a of this.added) for (const p of this.policies) this.shares.get(a.id)!.get(p)!.push(newArmShares(runs.get(p)!.records, a.arm, a.at, a.removedAt));
  }

  summary(): NewArmSummary[] {
    return this.added.map((a) => {
      const byPolicy = this.shares.get(a.id)!;
      const shares: NewArmSummary['shares'] = {};
      for (const [p, list] of byPolicy) shares[p] = { onboarding: meanCi(list.map((x) => x.onboarding)), after: meanCi(list.map((x) => x.after)) };
      const oracle = shares.oracle?.onboarding.mean;
      const mine = shares.switchyard?.onboarding.mean;
      return { arm: a.id, atRequest: a.at, shares, onboardingVsOracle: oracle && mine !== undefined && Number.isFinite(mine) ? Number((mine / oracle).toFixed(4)) : null };
    });
  }
}

function onboardingLines(newArms: readonly NewArmSummary[]): string[] {
  const f = (x: { mean: number; ci95: number }) => `${(x.mean * 100).toFixed(1)}%${Number.isFinite(x.ci95) ? ` ±${(x.ci95 * 100).toFixed(1)}` : ''}`;
  return newArms.map(
    (a) =>
      `${a.arm} added before request ${a.atRequest}: share in the next ${ONBOARDING_REQUESTS} requests / after them — ` +
      Object.entries(a.shares).map(([p, s]) => `${p} ${f(s.onboarding)} / ${f(s.after)}`).join('; ') +
      (a.onboardingVsOracle === null ? '' : `; switchyard's onboarding share = ${(a.onboardingVsOracle * 100).toFixed(0)}% of the oracle's`),
  );
}

function rsvgAvailable(): boolean {
  try {
    execFileSync('rsvg-convert', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const pct = (x: number | null, d = 2) => (x === null ? '–' : `${(x * 100).toFixed(d)}%`);
const num = (x: number | null, d = 0) => (x === null ? '–' : x.toFixed(d));
const sci = (x: number | null) => (x === null ? '–' : x.toPrecision(4));
const usd = (x: number | null) => (x === null ? '–' : `$${x.toPrecision(3)}`);
const pm = (x: number | null | undefined, f: (v: number) => string) => (x === null || x === undefined ? '' : ` ±${f(x)}`);

interface OracleInfo {
  /** Seeds on which the budget-aware allocation (priced) was the oracle, rather than the one-step oracle. */
  pricedSeeds: number;
  /** Mean over those seeds and their binding cap lines of λ (the price of a dollar of budget, over its cost). */
  meanLambda: number | null;
  simulationsPerSeed: number;
}

function oracleSummary(oracles: readonly BudgetOracleRun[]): OracleInfo {
  const priced = oracles.filter((o) => o.kind === 'priced');
  const lambdas = priced.flatMap((o) => Object.values(o.lambdas));
  return {
    pricedSeeds: priced.length,
    meanLambda: lambdas.length ? Number((lambdas.reduce((a, b) => a + b, 0) / lambdas.length).toPrecision(4)) : null,
    simulationsPerSeed: Number((oracles.reduce((s, o) => s + o.simulations, 0) / Math.max(1, oracles.length)).toFixed(1)),
  };
}

function reportMd(scenario: Scenario, seeds: number, summary: Record<string, PolicySummary>, ofOracle: Record<string, number | null>, oracle: OracleInfo, plots: string[], png: boolean, wallS: number, newArms: string[] = []): string {
  const rows = Object.entries(summary).map(([p, s]) =>
    [
      p,
      `${pct(s.errorRate)}${pm(s.ci95.errorRate, (v) => (v * 100).toFixed(2))}`,
      `${num(s.p50Ms)}`,
      `${num(s.p95Ms)}${pm(s.ci95.p95Ms, (v) => v.toFixed(0))}`,
      `${num(s.p99Ms)}`,
      `${usd(s.costPerSuccessUsd)}`,
      `${num(s.utility, 4)}${pm(s.ci95.utility, (v) => v.toFixed(4))}`,
      `${sci(s.netValuePerRequest)}${pm(s.ci95.netValuePerRequest, (v) => v.toPrecision(2))}`,
      `${pct(ofOracle[p] ?? null, 1)}`,
      `${sci(s.regretPerRequest)}${pm(s.ci95.regretPerRequest, (v) => v.toPrecision(2))}`,
      `${num(s.budgetOvershootPct, 1)}`,
      `${s.failoverMs === null ? '–' : num(s.failoverMs)}`,
      `${s.recoveryMs === null ? '–' : `${num(s.recoveryMs)}${pm(s.ci95.recoveryMs, (v) => v.toFixed(0))}`}`,
      `${s.explorationShare === null ? '–' : `${pct(s.explorationShare)} (floor ${pct(s.explorationFloorShare)})`}`,
      `${s.stationaryExplorationShare === null ? '–' : `${pct(s.stationaryExplorationShare)}${pm(s.ci95.stationaryExplorationShare, (v) => (v * 100).toFixed(2))}`}`,
      `${pct(s.budgetRefusedShare)}${pm(s.ci95.budgetRefusedShare, (v) => (v * 100).toFixed(2))}`,
    ].join(' | '),
  );
  const lines = [
    `# Policy benchmark: ${scenario.name}`,
    '',
    scenario.description.trim(),
    '',
    `${seeds} seeds × ${Object.keys(summary).length} policies, ${(scenario.duration / 60_000).toFixed(1)} simulated minutes per run, ` +
      `≈ ${num(summary.oracle?.requests ?? null)} requests per run; common random numbers (same arrivals and per-request draws for every policy of a seed). ` +
      `Wall time ${wallS.toFixed(1)} s. Values are means over seeds, ± the 95% CI half-width over seeds.`,
    '',
    '| policy | error rate | p50 ms | p95 ms | p99 ms | cost / success | utility | net value / req (USD) | % of oracle | regret / req (USD) | budget overshoot % | failover ms | back in rotation ms | exploration | stationary non-posterior-mean | budget refused |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    '',
    'Failures by final error kind (share of all requests):',
    '',
    ...Object.entries(summary).map(([p, s]) => `- ${p}: ${Object.keys(s.failureKinds).length ? Object.entries(s.failureKinds).map(([k, v]) => `${k} ${(v * 100).toFixed(2)}%`).join(', ') : 'none'}`),
    '',
    ...(newArms.length ? ['Arms added mid-run (first-attempt share; mean ± 95% CI over seeds):', '', ...newArms.map((l) => `- ${l}`), ''] : []),
    'Definitions: bench/README.md. failover ms: outage start → first 1 s bin with < 5% of first attempts on the failed arm(s), the outage length when never (censored). ' +
      'back in rotation ms: outage end → first 30 s window in which the failed arm(s) get ≥ half their pre-outage share. exploration: share of first-attempt decisions not for the posterior-mean choice (floor: those flagged exploration — exploration-floor draws and half-open probes). ' +
      `stationary non-posterior-mean: the same share among decisions with no scenario event (nor the run's start) in the previous ${STATIONARY_AFTER_MS / 60_000} minutes. budget refused: share of requests that failed with budget_exceeded. ` +
      `% of oracle: mean net value / the oracle's.` +
      (oracle.pricedSeeds ? ` The oracle is budget-aware on ${oracle.pricedSeeds} of ${seeds} seeds (a cap binds): a price per dollar per cap window found in hindsight by bisection (mean λ ${oracle.meanLambda}, ${oracle.simulationsPerSeed} simulations per seed), each request to the arm with the highest true net value − (1 + λ)·cost, refused when none is positive.` : ''),
    '',
    ...plots.flatMap((p) => [`![${p}](${p}.${png ? 'png' : 'svg'})`, '']),
    `SVG sources: ${plots.map((p) => `[${p}.svg](${p}.svg)`).join(', ')}.`,
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let scenario: Scenario;
  try {
    scenario = loadScenario(args.scenario);
  } catch (err) {
    if (err instanceof ScenarioError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const seeds = args.seeds ?? scenario.seeds;
  const started = performance.now();
  // best-fixed-arm is chosen in hindsight over all seeds, so it runs apart and is not plotted.
  const fixed = args.policies.includes('best-fixed-arm');
  const order: PolicyName[] = ['oracle', ...args.policies.filter((p) => p !== 'oracle' && p !== 'best-fixed-arm')];
  const perSeed = new Map<PolicyName, SeedMetrics[]>(order.map((p) => [p, []]));
  const perFixedArm = scenario.arms.map((): SeedMetrics[] => []);
  const plots = new PlotData(scenario, order);
  const onboarding = new Onboarding(scenario, order);
  const oracles: BudgetOracleRun[] = [];
  for (let k = 0; k < seeds; k++) {
    const seed = scenario.baseSeed + k;
    const world = buildWorld(scenario, seed);
    const runs = new Map<PolicyName, RunResult>();
    for (const policy of order) {
      let run: RunResult;
      if (policy === 'oracle') {
        const oracle = await runOracle(scenario, world);
        oracles.push(oracle);
        run = oracle.run;
      } else run = await runPolicy(scenario, world, policy, args.thompson);
      runs.set(policy, run);
      const m = seedMetrics(run, runs.get('oracle')!, world, scenario.duration);
      perSeed.get(policy)!.push(m);
      console.log(
        `[${scenario.name}] seed ${k + 1}/${seeds} ${policy.padEnd(16)} ${String(m.requests).padStart(6)} req  err ${(m.errorRate * 100).toFixed(2).padStart(6)}%  ` +
          `p95 ${m.p95Ms.toFixed(0).padStart(6)} ms  $/ok ${m.costPerSuccessUsd.toPrecision(3)}  regret ${m.regretPerRequest.toFixed(4)}` +
          `${m.failoverMs === null ? '' : `  failover ${m.failoverMs.toFixed(0)} ms`}${m.recoveryMs === null ? '' : `  back ${m.recoveryMs.toFixed(0)} ms`}` +
          `${m.explorationShare === null ? '' : `  explore ${(m.explorationShare * 100).toFixed(2)}% (floor ${((m.explorationFloorShare ?? 0) * 100).toFixed(2)}%, stationary ${((m.stationaryExplorationShare ?? NaN) * 100).toFixed(2)}%)`}` +
          `${m.budgetRefusedShare > 0 ? `  budget refused ${(m.budgetRefusedShare * 100).toFixed(2)}%` : ''}` +
          `${policy === 'oracle' && oracles[k].kind === 'priced' ? `  (budget-aware: ${oracles[k].simulations} simulations)` : ''}  (${(run.wallMs / 1000).toFixed(2)} s)`,
      );
    }
    if (fixed) {
      for (let a = 0; a < scenario.arms.length; a++) {
        const run = await runPolicy(scenario, world, { fixedArm: a }, args.thompson);
        perFixedArm[a].push(seedMetrics(run, runs.get('oracle')!, world, scenario.duration));
      }
    }
    plots.add(world, runs, seeds);
    onboarding.add(runs);
  }
  let bestFixed: string | undefined;
  if (fixed) {
    // The single arm (first in a static chain, the others as its fallbacks) with the best mean net value over all seeds.
    const mean = (ms: SeedMetrics[]) => ms.reduce((s, m) => s + m.netValuePerRequest, 0) / ms.length;
    let best = 0;
    for (let a = 1; a < scenario.arms.length; a++) if (mean(perFixedArm[a]) > mean(perFixedArm[best])) best = a;
    bestFixed = scenario.arms[best].id;
    perSeed.set('best-fixed-arm', perFixedArm[best]);
    console.log(`[${scenario.name}] best fixed arm in hindsight: ${bestFixed} (net value ${mean(perFixedArm[best]).toPrecision(4)} USD/request)`);
  }
  const wallS = (performance.now() - started) / 1000;
  const newArms = onboarding.summary();
  for (const line of onboardingLines(newArms)) console.log(`[${scenario.name}] ${line}`);
  const summary: Record<string, PolicySummary> = {};
  for (const p of [...args.policies.filter((q) => q !== 'oracle'), 'oracle' as const]) summary[p] = summarise(perSeed.get(p)!);
  const oracleValue = summary.oracle.netValuePerRequest;
  const ofOracle: Record<string, number | null> = {};
  for (const [p, s] of Object.entries(summary)) ofOracle[p] = oracleValue && s.netValuePerRequest !== null ? Number((s.netValuePerRequest / oracleValue).toFixed(4)) : null;
  const oracleInfo = oracleSummary(oracles);
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, 'summary.json'), `${JSON.stringify({ scenario: scenario.name, file: args.scenario, seeds, durationMs: scenario.duration, wallSeconds: Number(wallS.toFixed(1)), ...(Object.keys(args.thompson).length ? { thompsonOverrides: args.thompson } : {}), ...(bestFixed ? { bestFixedArm: bestFixed } : {}), ...(newArms.length ? { newArms } : {}), oracle: oracleInfo, netValueVsOracle: ofOracle, policies: summary }, null, 2)}\n`);
  const figures = plots.figures();
  const png = rsvgAvailable();
  for (const [name, svg] of Object.entries(figures)) {
    const file = join(args.out, `${name}.svg`);
    writeFileSync(file, svg);
    if (png) execFileSync('rsvg-convert', ['-b', 'white', '-o', join(args.out, `${name}.png`), file]);
  }
  writeFileSync(join(args.out, 'report.md'), reportMd(scenario, seeds, summary, ofOracle, oracleInfo, Object.keys(figures), png, wallS, onboardingLines(newArms)));
  console.log(`wrote ${join(args.out, 'summary.json')}, report.md and ${Object.keys(figures).length} plots in ${wallS.toFixed(1)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
