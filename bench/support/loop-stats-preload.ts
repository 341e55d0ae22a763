// Loaded into a router by the throughput bench (node -r): what the router's own event loop and
// garbage collector did during a window, printed as one `[loop-stats] {json}` line on each SIGUSR2
// (which also starts the next window). Event-loop delay (how late a 10 ms timer fires, perf_hooks'
// histogram) and GC pauses by kind are what a request waits on inside the router that is neither its
// own work nor the network.
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

// 10 ms: a finer timer would wake the router a thousand times a second and cost CPU of its own on
// this kind of VM (each wake-up is a VM exit); a stall of tens of ms shows either way.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

type Kind = 'minor' | 'major' | 'incremental' | 'weak' | 'other';
const gc: Record<Kind, { count: number; totalMs: number; maxMs: number }> = {
  minor: { count: 0, totalMs: 0, maxMs: 0 },
  major: { count: 0, totalMs: 0, maxMs: 0 },
  incremental: { count: 0, totalMs: 0, maxMs: 0 },
  weak: { count: 0, totalMs: 0, maxMs: 0 },
  other: { count: 0, totalMs: 0, maxMs: 0 },
};

const KINDS = new Map<number, Kind>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weak'],
]);

function kindOf(entry: PerformanceEntry): Kind {
  const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
  return (kind !== undefined && KINDS.get(kind)) || 'other';
}

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const g = gc[kindOf(entry)];
    g.count++;
    g.totalMs += entry.duration;
    g.maxMs = Math.max(g.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

const round = (v: number) => Number(v.toFixed(2));

/** Prints the window's figures and starts the next window. */
process.on('SIGUSR2', () => {
  const ms = (ns: number) => round(ns / 1e6);
  const stats = {
    eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    gc: Object.fromEntries(Object.entries(gc).map(([k, g]) => [k, { count: g.count, totalMs: round(g.totalMs), maxMs: round(g.maxMs) }])),
  };
  process.stdout.write(`[loop-stats] ${JSON.stringify(stats)}\n`);
  delay.reset();
  for (const g of Object.values(gc)) Object.assign(g, { count: 0, totalMs: 0, maxMs: 0 });
});
