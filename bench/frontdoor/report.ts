// Writes bench:frontdoor results: frontdoor.json (every figure) and README.md (the table).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { round, type Summary } from '../support/stats';

/** Time to first token of one path (direct to the simulator, or through the router) at one concurrency. */
export interface PathResult {
  path: 'direct' | 'router';
  concurrency: number;
  streams: number;
  failed: number;
  ttftMs: Summary;
}

export interface FrontdoorRun {
  results: PathResult[];
  machine: { cpus: number; cpuModel: string; loadavg: number[]; node: string };
  setup: { firstTokenMs: number; tokenIntervalMs: number; tokens: number; warmupS: number; seconds: number; otel: boolean };
  at: string;
  /** The command line that produced the run. */
  command: string;
}

/** Added TTFT per concurrency: the router path's percentile minus the direct path's. */
export function addedTtft(results: readonly PathResult[]): Array<{ concurrency: number; p50Ms: number; p99Ms: number }> {
  const levels = [...new Set(results.map((r) => r.concurrency))];
  return levels.flatMap((concurrency) => {
    const direct = results.find((r) => r.concurrency === concurrency && r.path === 'direct');
    const router = results.find((r) => r.concurrency === concurrency && r.path === 'router');
    if (!direct || !router) return [];
    return [{ concurrency, p50Ms: round(router.ttftMs.p50 - direct.ttftMs.p50, 2), p99Ms: round(router.ttftMs.p99 - direct.ttftMs.p99, 2) }];
  });
}

/** Writes the files and returns the Markdown. */
export function writeFrontdoorReport(dir: string, run: FrontdoorRun): string {
  mkdirSync(dir, { recursive: true });
  const added = addedTtft(run.results);
  writeFileSync(join(dir, 'frontdoor.json'), JSON.stringify({ ...run, addedTtftMs: added }, null, 2) + '\n');
  const { setup, machine } = run;
  const lines = [
    '# bench:frontdoor — added time to first token through the HTTP front door',
    '',
    `${run.at}; ${machine.cpus} CPUs (${machine.cpuModel}), load average ${machine.loadavg.join(' / ')} at the end, Node ${machine.node}.`,
    `The router, provider-sim, the Kafka broker and the load generator share these CPUs (and the machine is shared with other work).`,
    `provider-sim: first token after ${setup.firstTokenMs} ms (no spread), then ${setup.tokens} tokens ${setup.tokenIntervalMs} ms apart; ${setup.warmupS} s warm-up, ${setup.seconds} s measured per row; router tracing ${setup.otel ? 'on' : 'off (OTEL_SDK_DISABLED=true)'}.`,
    '',
    '| concurrent streams | path | streams | failed | TTFT p50 (ms) | TTFT p90 (ms) | TTFT p99 (ms) | max (ms) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...run.results.map((r) => `| ${r.concurrency} | ${r.path === 'direct' ? 'provider-sim directly' : 'router front door'} | ${r.streams} | ${r.failed} | ${r.ttftMs.p50} | ${r.ttftMs.p90} | ${r.ttftMs.p99} | ${r.ttftMs.max} |`),
    '',
    '| concurrent streams | added TTFT p50 (ms) | added TTFT p99 (ms) | target |',
    '|---:|---:|---:|---|',
    ...added.map((a) => `| ${a.concurrency} | ${a.p50Ms} | ${a.p99Ms} | ${a.concurrency === 100 ? `p50 < 2 ms: ${a.p50Ms < 2 ? 'met' : 'not met'}; p99 < 10 ms: ${a.p99Ms < 10 ? 'met' : 'not met'}` : '—'} |`),
    '',
    `Command: \`${run.command}\` (options: \`-- --concurrency 100,500 --seconds 15 --token-interval-ms 20 --tokens 50 --out DIR\`).`,
    '',
  ];
  const text = lines.join('\n');
  writeFileSync(join(dir, 'README.md'), text);
  return text;
}
