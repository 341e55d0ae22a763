// Summaries and Markdown for live runs (bench:live and bench:peers share them).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedMetrics, summarise, type PolicySummary } from '../policy/metrics';
import type { Scenario } from '../policy/scenario';
import type { World } from '../policy/world';
import type { LiveJobResult } from './engine';

export type LiveSummary = PolicySummary & { attemptsPerRequest: number; lost: number; duplicateResponses: number };

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(2)}%`);
const num = (x: number | null, d = 0) => (x === null ? '–' : x.toFixed(d));
const usd = (x: number | null) => (x === null ? '–' : `$${x.toPrecision(3)}`);

/** Per policy (or peer system) of one scenario: the bench:policy metrics plus live-only counts. */
export function summariseScenario(results: readonly LiveJobResult[], scenario: Scenario, world: World): Record<string, LiveSummary> {
  const summary: Record<string, LiveSummary> = {};
  for (const r of results.filter((x) => x.job.scenario === scenario)) {
    const m = seedMetrics({ records: r.records, budgetOvershootPct: r.budgetOvershootPct }, undefined, world);
    summary[r.job.policy] = {
      ...summarise([m]),
      attemptsPerRequest: Number(r.attemptsPerRequest.toFixed(3)),
      lost: r.records.filter((x) => x.failure === 'lost').length,
      duplicateResponses: r.duplicates,
    };
  }
  return summary;
}

export function writeSummary(dir: string, scenario: Scenario, file: string, world: World, timeScale: number, summary: Record<string, LiveSummary>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ scenario: scenario.name, file, seeds: 1, seed: world.seed, live: true, timeScale, durationMs: scenario.duration, policies: summary }, null, 2)}\n`);
}

export function scenarioMd(scenario: Scenario, timeScale: number, summary: Record<string, LiveSummary>, label = 'policy'): string {
  return [
    `## ${scenario.name} (live, time scale ${timeScale}: ${(scenario.duration / 60_000).toFixed(1)} min)`,
    '',
    `| ${label} | requests | error rate | p50 ms | p95 ms | p99 ms | cost / success | utility | failover ms | budget overshoot % | attempts / request | failures by kind |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(summary).map(([p, s]) =>
      `| ${p} | ${num(s.requests)} | ${pct(s.errorRate)} | ${num(s.p50Ms)} | ${num(s.p95Ms)} | ${num(s.p99Ms)} | ${usd(s.costPerSuccessUsd)} | ${num(s.utility, 4)} | ${num(s.failoverMs)} | ${num(s.budgetOvershootPct, 1)} | ${s.attemptsPerRequest.toFixed(2)} | ` +
        `${Object.entries(s.failureKinds).map(([k, v]) => `${k} ${(v * 100).toFixed(2)}%`).join(', ') || '–'} |`,
    ),
    '',
  ].join('\n');
}

export function warnLost(summary: Record<string, LiveSummary>, scenario: Scenario, log: (line: string) => void): void {
  for (const [p, s] of Object.entries(summary)) if (s.lost > 0) log(`live: WARNING ${scenario.name}/${p}: ${s.lost} requests never answered`);
}
