// Summaries and Markdown for live runs (bench:live and bench:peers share them).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { quantile, seedMetrics, summarise, type PolicySummary } from '../policy/metrics';
import type { RequestRecord } from '../policy/simulate';
import type { Scenario } from '../policy/scenario';
import type { World } from '../policy/world';
import { runVerdict, type RunAccounting, type RunVerdict } from './accounting';
import type { LiveFeedbackReport, LiveJobResult } from './engine';
import { eventWindow } from './seed-table';

/** Requests that arrived while something was wrong (outages, spikes, quota cuts, brown-outs). */
export interface WindowMetrics {
  requests: number;
  errorRate: number | null;
  meanMs: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export type LiveSummary = PolicySummary &
  RunAccounting & {
  attemptsPerRequest: number;
  duplicateResponses: number;
  /** Each process's output (router or peer, simulator), relative to the run's output folder. */
  logs: Record<string, string>;
  /** The same metrics restricted to requests arriving during the scenario's disruption windows. */
  duringEvents: WindowMetrics;
  /** Provider calls per simulator model (= arm id): calls, ok, errors. */
  simCallsByModel: Record<string, { calls: number; ok: number; errors: number }>;
  /** Share of first attempts per arm id (the traffic split), over requests with a known first attempt. */
  firstAttemptShare: Record<string, number>;
  /** Quality feedback the client gave the router (published, bad, dropped, applied by the router); null for peers. */
  feedback: LiveFeedbackReport | null;
  /** Switchyard routers: answers per answer-check result (`pass`, `cut`, `empty`, ...); null for peers. */
  answerChecks: Record<string, number> | null;
  /** Switchyard routers: provider attempts per arm and outcome (`ok`, `server_error`, `network`, ...); null for peers. */
  attemptOutcomes: Record<string, Record<string, number>> | null;
};

/** Share of first attempts per arm id, over the requests whose first attempt is known. */
export function firstAttemptSplit(scenario: Scenario, records: readonly RequestRecord[]): Record<string, number> {
  const counts = scenario.arms.map(() => 0);
  let known = 0;
  for (const r of records) {
    if (r.firstArm < 0) continue;
    counts[r.firstArm]++;
    known++;
  }
  return Object.fromEntries(scenario.arms.map((a, i) => [a.id, known ? Number((counts[i] / known).toFixed(4)) : 0]));
}

const finite = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);

export function windowMetrics(records: readonly RequestRecord[], world: World): WindowMetrics {
  const inside = records.filter(eventWindow(world));
  const lat = Float64Array.from(inside, (r) => r.latencyMs).sort();
  return {
    requests: inside.length,
    errorRate: finite(inside.filter((r) => !r.ok).length / inside.length),
    meanMs: finite(lat.reduce((a, b) => a + b, 0) / lat.length),
    p95Ms: finite(quantile(lat, 0.95)),
    p99Ms: finite(quantile(lat, 0.99)),
  };
}

const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(2)}%`);
const num = (x: number | null, d = 0) => (x === null ? '–' : x.toFixed(d));
const usd = (x: number | null) => (x === null ? '–' : `$${x.toPrecision(3)}`);

/** Log paths relative to `from` (absolute when outside it): from the report's folder, or the working directory. */
export function logPaths(logs: Record<string, string>, from: string): Record<string, string> {
  const shown = (p: string) => (relative(resolve(from), resolve(p)).startsWith('..') ? resolve(p) : relative(resolve(from), resolve(p)));
  return Object.fromEntries(Object.entries(logs).map(([what, p]) => [what, shown(p)]));
}

/** The exit decision over every run, its lines naming log paths relative to `from`. */
export function liveVerdict(results: readonly LiveJobResult[], from: string): RunVerdict {
  return runVerdict(results.map((r) => ({ name: r.job.name, accounting: r.accounting, logs: logPaths(r.logs, from) })), results[0]?.graceMs ?? 0);
}

/** Per policy (or peer system) of one scenario: the bench:policy metrics plus live-only counts; `outDir` is where report.md goes. */
export function summariseScenario(results: readonly LiveJobResult[], scenario: Scenario, world: World, outDir: string): Record<string, LiveSummary> {
  const summary: Record<string, LiveSummary> = {};
  for (const r of results.filter((x) => x.job.scenario === scenario)) {
    const m = seedMetrics({ records: r.records, budgetOvershootPct: r.budgetOvershootPct }, undefined, world);
    summary[r.job.policy] = {
      ...summarise([m]),
      ...r.accounting,
      attemptsPerRequest: Number(r.attemptsPerRequest.toFixed(3)),
      duplicateResponses: r.duplicates,
      logs: logPaths(r.logs, outDir),
      duringEvents: windowMetrics(r.records, world),
      simCallsByModel: r.simCallsByModel,
      firstAttemptShare: firstAttemptSplit(scenario, r.records),
      feedback: r.feedback,
      answerChecks: r.answerChecks,
      attemptOutcomes: r.attemptOutcomes,
    };
  }
  return summary;
}

/** Every request of one run as gzipped CSV (arrival ms, ok, latency ms, first/served arm, cost, failure) for re-analysis. */
export function writeRecords(dir: string, policy: string, scenario: Scenario, records: readonly RequestRecord[]): void {
  mkdirSync(dir, { recursive: true });
  const arm = (i: number) => (i >= 0 ? scenario.arms[i].id : '');
  const lines = ['index,atMs,ok,success,latencyMs,firstArm,servedArm,costUsd,failure', ...records.map((r) => `${r.index},${r.at},${r.ok ? 1 : 0},${r.success ? 1 : 0},${Math.round(r.latencyMs)},${arm(r.firstArm)},${arm(r.servedArm)},${r.costUsd.toPrecision(4)},${r.failure ?? ''}`)];
  writeFileSync(join(dir, `records-${policy}.csv.gz`), gzipSync(`${lines.join('\n')}\n`));
}

/** `<dir>/summary.json` and, per policy, `<dir>/records-<policy>.csv.gz`. */
export function writeSummary(dir: string, scenario: Scenario, file: string, world: World, timeScale: number, summary: Record<string, LiveSummary>, results: readonly LiveJobResult[]): void {
  mkdirSync(dir, { recursive: true });
  for (const r of results) if (r.job.scenario === scenario) writeRecords(dir, r.job.policy, scenario, r.records);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ scenario: scenario.name, file, seeds: 1, seed: world.seed, live: true, timeScale, durationMs: scenario.duration, policies: summary }, null, 2)}\n`);
}

export function scenarioMd(scenario: Scenario, timeScale: number, summary: Record<string, LiveSummary>, label = 'policy'): string {
  return [
    `## ${scenario.name} (live, time scale ${timeScale}: ${(scenario.duration / 60_000).toFixed(1)} min)`,
    '',
    `| ${label} | requests | net value / req (USD) | error rate | p50 ms | p95 ms | p99 ms | cost / success | utility | failover ms | budget overshoot % | attempts / request | during events: err / p95 / p99 ms | failures by kind |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(summary).map(([p, s]) =>
      `| ${p} | ${num(s.requests)} | ${num(s.netValuePerRequest, 5)} | ${pct(s.errorRate)} | ${num(s.p50Ms)} | ${num(s.p95Ms)} | ${num(s.p99Ms)} | ${usd(s.costPerSuccessUsd)} | ${num(s.utility, 4)} | ${num(s.failoverMs)} | ${num(s.budgetOvershootPct, 1)} | ${s.attemptsPerRequest.toFixed(2)} | ` +
        `${s.duringEvents.requests ? `${pct(s.duringEvents.errorRate)} / ${num(s.duringEvents.p95Ms)} / ${num(s.duringEvents.p99Ms)}` : '–'} | ` +
        `${Object.entries(s.failureKinds).map(([k, v]) => `${k} ${(v * 100).toFixed(2)}%`).join(', ') || '–'} |`,
    ),
    '',
    `Traffic split (share of first attempts per arm): ${Object.entries(summary)
      .map(([p, s]) => `${p}: ${Object.entries(s.firstAttemptShare).map(([a, x]) => `${a} ${(x * 100).toFixed(1)}%`).join(', ')}`)
      .join('; ')}.`,
    '',
    feedbackMd(scenario, summary),
    '',
    `First-attempt-and-retry traffic per arm (provider calls at the simulator): ${Object.entries(summary)
      .map(([p, s]) => `${p}: ${Object.entries(s.simCallsByModel).map(([m, c]) => `${m} ${c.calls}`).join(', ')}`)
      .join('; ')}.`,
    '',
    `Where each request went (answered: a response, failures included; DLQ: refused by the router, with its reason; lost: neither) and each process's output:`,
    '',
    `| ${label} | sent | answered | DLQ | lost | logs |`,
    '|---|---|---|---|---|---|',
    ...Object.entries(summary).map(([p, s]) => {
      const dlq = s.dlq === null ? '–' : `${s.dlq}${s.dlq ? ` (${Object.entries(s.dlqReasons ?? {}).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`;
      const lost = s.lost ? `**${s.lost}**: ${s.lostIds.join(', ')}${s.lost > s.lostIds.length ? ', …' : ''}` : '0';
      return `| ${p} | ${s.sent} | ${s.answered} | ${dlq} | ${lost} | ${Object.entries(s.logs).map(([what, path]) => `[${what}](${path})`).join(', ')} |`;
    }),
    '',
  ].join('\n');
}

/** One line on the quality feedback each router was given (success in every table counts answer quality either way). */
function feedbackMd(scenario: Scenario, summary: Record<string, LiveSummary>): string {
  const checks = Object.entries(summary)
    .filter(([, s]) => s.answerChecks)
    .map(([p, s]) => `${p}: ${Object.entries(s.answerChecks!).map(([r, n]) => `${r} ${n}`).join(', ') || 'none'}`);
  const attempts = Object.entries(summary)
    .filter(([, s]) => s.attemptOutcomes)
    .map(([p, s]) => `${p}: ${Object.entries(s.attemptOutcomes!).map(([arm, o]) => `${arm} ${Object.entries(o).map(([k, n]) => `${k} ${n}`).join(' ')}`).join(', ')}`);
  return [
    quality(scenario, summary),
    ...(checks.length ? [`Answer checks in the routers: ${checks.join('; ')}.`] : []),
    ...(attempts.length ? [`Router attempts by arm and outcome: ${attempts.join('; ')}.`] : []),
  ].join(' ');
}

function quality(scenario: Scenario, summary: Record<string, LiveSummary>): string {
  const fb = scenario.feedback;
  if (fb.share <= 0) return 'Quality feedback: none (the scenario gives none); success counts answer quality, judged by the client from the scenario.';
  const given = Object.entries(summary)
    .map(([p, s]) => (s.feedback ? `${p} ${s.feedback.published} published (${s.feedback.bad} bad), ${s.feedback.applied ?? '?'} applied by the router, ${s.feedback.dropped} due after the run` : `${p} none (no feedback channel)`))
    .join('; ');
  return `Quality feedback on ${(fb.share * 100).toFixed(0)}% of answers that passed the checks, ${(fb.delay / 1000).toFixed(0)} s late, ${(fb.noise * 100).toFixed(0)}% noise, to the router's feedback topic: ${given}.`;
}

/**
 * Ends a live run (bench:live, bench:peers): the lost and dead-lettered requests appended to the
 * report, report.md written and printed, and the exit code set from the verdict. Log paths are
 * relative to the report in report.md and to the working directory on the terminal.
 */
export function finishLiveRun(tool: string, md: string[], results: readonly LiveJobResult[], out: string, logsWhat: string): void {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const inReport = liveVerdict(results, out);
  if (inReport.lines.length) md.push('## Lost and dead-lettered requests', '', ...inReport.lines.map((l) => `- ${l}`), '');
  writeFileSync(join(out, 'report.md'), md.join('\n'));
  log(`${tool}: wrote ${join(out, 'report.md')}; ${logsWhat} in ${join(out, 'logs')}`);
  process.stdout.write(md.join('\n'));
  const onTerminal = liveVerdict(results, process.cwd());
  for (const line of onTerminal.lines) log(`${tool}: ${line}`);
  // Not process.exit(): log writes still queued would be cut.
  process.exitCode = onTerminal.exitCode;
}
