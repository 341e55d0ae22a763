// Decision-path micro-benchmark: how long one routing decision takes with N arms, where one
// decision = eligibility (default rules + budget rule + maxCost rule) + Thompson sampling +
// argmax + recording the outcome into the posteriors and sketches.
//
//   npm run build && node dist/bench/decide/run.js --out bench/results
//
// Writes <out>/decide.json: {"results":[{"arms":5,"p50Us":..,"p99Us":..}, ...]}. Each arm count is
// measured in `--rounds` rounds (default 5) of 20 000 decisions after a 5 000-decision warm-up;
// the reported percentiles are the median round's, so one round disturbed by other processes on a
// shared machine (load average is recorded too) does not decide the result.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  BudgetGuard,
  checkEligibility,
  DEFAULT_RULES,
  InMemoryBudgetStore,
  SeededRandom,
  ThompsonSelector,
  type ArmConfig,
  type AttemptOutcome,
  type Clock,
  type RouteRequest,
} from '@switchyard/core';

const ARM_COUNTS = [5, 20, 50];
const WARMUP = 5_000;
const MEASURED = 20_000;

interface Result {
  arms: number;
  rounds: number;
  decisionsPerRound: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
}

function arm(i: number): ArmConfig {
  return {
    id: `arm-${i}`,
    provider: 'sim',
    providerKind: 'openai',
    model: `model-${i}`,
    pricing: { inputPer1M: 0.5 + (i % 7), outputPer1M: 1 + 2 * (i % 5) },
    contextWindow: 128_000,
    maxOutputTokens: 4_096,
    classes: [],
    policyGroup: 'default',
    timeouts: { connectMs: 1_000, totalMs: 30_000 },
  };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

type RoundResult = Omit<Result, 'arms' | 'rounds' | 'decisionsPerRound' | 'p99UsPerRound'>;

function run(armCount: number, rounds: number): Result & { p99UsPerRound: number[] } {
  let now = Date.UTC(2025, 2, 1, 12);
  const clock: Clock = { now: () => now, sleep: () => Promise.resolve() };
  const arms = Array.from({ length: armCount }, (_, i) => arm(i));
  const selector = new ThompsonSelector({ clock, random: new SeededRandom(1), arms });
  const guard = new BudgetGuard({ store: new InMemoryBudgetStore(), clock, caps: { defaultTenant: { hour: 1_000 }, global: { month: 100_000 } } });
  const rules = [...DEFAULT_RULES, guard.eligibilityRule(), selector.maxCostRule()];
  const env = new SeededRandom(2);
  const successRate = arms.map((_, i) => 0.8 + 0.19 * ((i * 37) % 11) / 10);
  const latencyMs = arms.map((_, i) => 200 + ((i * 53) % 17) * 100);
  const classes = ['chat', 'coding', 'extraction'];
  const request = (n: number): RouteRequest => ({
    id: `bench-${n}`,
    tenant: `tenant-${n % 10}`,
    class: classes[n % classes.length],
    messages: [{ role: 'user', content: 'Summarise the following paragraph in two sentences. '.repeat(8) }],
    params: { maxTokens: 512 },
    routing: { objective: n % 4 === 0 ? 'cheapest' : 'balanced', latencySloMs: 3_000, maxCostUsd: 0.05 },
  });
  const tried: string[] = [];
  const samples = new Float64Array(MEASURED);

  const decide = (n: number): void => {
    const req = request(n);
    const promptTokens = 110;
    const { eligible } = checkEligibility(arms, { request: req, promptTokens, tried: new Set(tried), now }, rules);
    const decision = selector.select({ request: req, tried, clock }, eligible);
    const i = Number(decision.chosen.id.slice(4));
    const ok = env.next() < successRate[i];
    const outcome: AttemptOutcome = {
      arm: decision.chosen.id,
      attempt: 1,
      kind: ok ? 'ok' : 'server_error',
      retryable: !ok,
      countsAgainstArm: !ok,
      startedAt: now,
      latencyMs: latencyMs[i] * (0.7 + 0.6 * env.next()),
      costUsd: 0,
      usage: ok ? { inputTokens: 110, outputTokens: 300 } : { inputTokens: 0, outputTokens: 0 },
    };
    selector.record(outcome, req.class, `${req.id}:1`);
  };

  for (let n = 0; n < WARMUP; n++) {
    decide(n);
    now += 10;
  }
  const measured: RoundResult[] = [];
  let n = WARMUP;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < MEASURED; k++) {
      const start = process.hrtime.bigint();
      decide(n++);
      samples[k] = Number(process.hrtime.bigint() - start) / 1_000;
      now += 10;
    }
    measured.push(summarise(samples));
  }
  measured.sort((a, b) => a.p99Us - b.p99Us);
  return { arms: armCount, rounds, decisionsPerRound: MEASURED, ...measured[Math.floor(rounds / 2)], p99UsPerRound: measured.map((m) => m.p99Us) };
}

function summarise(samples: Float64Array): RoundResult {
  const sorted = samples.slice().sort();
  const round = (v: number) => Number(v.toFixed(2));
  return {
    p50Us: round(percentile(sorted, 0.5)),
    p90Us: round(percentile(sorted, 0.9)),
    p99Us: round(percentile(sorted, 0.99)),
    p999Us: round(percentile(sorted, 0.999)),
    maxUs: round(sorted[sorted.length - 1]),
    meanUs: round(sorted.reduce((s, v) => s + v, 0) / sorted.length),
  };
}

function main(): void {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const out = arg('--out') ?? 'bench/results';
  const rounds = Number(arg('--rounds') ?? 5);
  const loadBefore = loadavg()[0];
  const results = ARM_COUNTS.map((arms) => run(arms, rounds));
  mkdirSync(out, { recursive: true });
  const file = join(out, 'decide.json');
  const meta = { node: process.version, warmup: WARMUP, loadAverage1m: { before: loadBefore, after: loadavg()[0] } };
  writeFileSync(file, `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
  for (const r of results) console.log(`${String(r.arms).padStart(3)} arms  p50 ${r.p50Us} µs  p99 ${r.p99Us} µs  p99.9 ${r.p999Us} µs  mean ${r.meanUs} µs`);
  console.log(`wrote ${file}`);
}

main();
