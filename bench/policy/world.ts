// The simulated world of one scenario under one seed: request arrivals with their per-request random
// draws, and the arms' true state over time. Everything here depends on (scenario, seed) only, never
// on the policy, so every policy of a seed sees the same requests and the same environment draws
// (common random numbers).
import { SeededRandom } from '@switchyard/core';
import type { Scenario, ScenarioArm, ScenarioClass, ScenarioEvent } from './scenario';

/** Virtual time origin: a fixed UTC instant, so budget windows (minute/hour/day) are reproducible. */
export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

export interface SimRequest {
  index: number;
  /** Arrival, ms since T0. */
  at: number;
  classIndex: number;
  inputTokens: number;
  outputTokens: number;
  /** Content-policy draw: blocked on an arm whose block rate is above it (nested across arms). */
  uPolicy: number;
  /** Quality draw: the answer is acceptable on an arm whose quality is above it. */
  uQuality: number;
  /** Answer-check draw: the answer fails the checks on an arm whose check failure rate is above it. */
  uCheck: number;
  /** Feedback draws: whether this answer gets feedback, and whether the score is flipped (noise). */
  uFeedback: number;
  uNoise: number;
}

export interface Window {
  start: number;
  end: number;
}

export interface ArmTimeline {
  outages: Array<Window & { mode: 'error' | 'timeout' }>;
  spikes: Array<Window & { multiplier: number }>;
  rateLimits: Array<Window & { rps: number; burst?: number; retryAfterMs?: number }>;
  quality: Array<Window & { quality: number }>;
  failureRate: Array<Window & { failureRate: number }>;
  prices: Array<{ at: number; inputPer1M: number; outputPer1M: number }>;
}

/** The true state of an arm at one instant (what the oracle knows). */
export interface ArmState {
  down: false | 'error' | 'timeout';
  latencyMultiplier: number;
  failureRate: number;
  quality: number;
  rateLimit?: { rps: number; burst: number; retryAfterMs?: number };
}

export interface World {
  seed: number;
  requests: SimRequest[];
  timelines: ArmTimeline[];
  /** Every outage window, per arm index (for failover time). */
  outageWindows: Array<{ arms: number[]; start: number; end: number }>;
}

/** 32-bit integer mix (murmur3 finaliser) of several integers: seeds independent random streams. */
export function mix(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export function normal(r: SeededRandom): number {
  const u = Math.max(r.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

const Z95 = 1.6448536269514722;

/** Log-normal with the given median and P95. */
export function sigmaOf(median: number, p95: number): number {
  return Math.log(p95 / median) / Z95;
}

function exponential(r: SeededRandom, mean: number): number {
  return -Math.log(1 - r.next()) * mean;
}

function targets(scenario: Scenario, e: { arm?: string; provider?: string }): number[] {
  const out: number[] = [];
  scenario.arms.forEach((a, i) => {
    if ((e.arm !== undefined && a.id === e.arm) || (e.provider !== undefined && a.provider === e.provider)) out.push(i);
  });
  return out;
}

export function buildWorld(scenario: Scenario, seed: number): World {
  const timelines: ArmTimeline[] = scenario.arms.map(() => ({ outages: [], spikes: [], rateLimits: [], quality: [], failureRate: [], prices: [] }));
  const outageWindows: World['outageWindows'] = [];
  scenario.events.forEach((e: ScenarioEvent, ei) => {
    const arms = targets(scenario, e);
    switch (e.type) {
      case 'outage':
        outageWindows.push({ arms, start: e.start, end: e.end });
        for (const i of arms) timelines[i].outages.push({ start: e.start, end: e.end, mode: e.mode });
        break;
      case 'outage-process': {
        // Alternating renewal process: up ~ Exp(MTBF), down ~ Exp(MTTR); one draw for every arm
        // of the target, so a provider-wide process is a correlated outage.
        const r = new SeededRandom(mix(seed, 0x07a9e, ei));
        let t = e.start;
        for (;;) {
          t += exponential(r, e.mtbf);
          if (t >= scenario.duration) break;
          const end = Math.min(scenario.duration, t + Math.max(1_000, exponential(r, e.mttr)));
          outageWindows.push({ arms, start: t, end });
          for (const i of arms) timelines[i].outages.push({ start: t, end, mode: e.mode });
          t = end;
        }
        break;
      }
      case 'latency-spike':
        for (const i of arms) timelines[i].spikes.push({ start: e.start, end: e.end, multiplier: e.multiplier });
        break;
      case 'rate-limit':
        for (const i of arms) timelines[i].rateLimits.push({ start: e.start, end: e.end, rps: e.rps, burst: e.burst, retryAfterMs: e.retryAfterMs });
        break;
      case 'quality-drop':
        for (const i of arms) timelines[i].quality.push({ start: e.start, end: e.end, quality: e.quality });
        break;
      case 'failure-rate':
        for (const i of arms) timelines[i].failureRate.push({ start: e.start, end: e.end, failureRate: e.failureRate });
        break;
      case 'price-change':
        for (const i of arms) timelines[i].prices.push({ at: e.at, inputPer1M: e.inputPer1M, outputPer1M: e.outputPer1M });
        break;
      case 'arm-added':
      case 'arm-removed':
        // Routing-table membership, applied by the simulation at a request index (simulate.ts).
        break;
    }
  });
  return { seed, requests: generateRequests(scenario, seed), timelines, outageWindows };
}

function rateAt(scenario: Scenario, t: number): number {
  const { ratePerSec, profile } = scenario.workload.arrival;
  let m = 1;
  for (const p of profile) if (p.at <= t) m = p.multiplier;
  return ratePerSec * m;
}

/** Poisson arrivals (thinning for a piecewise-constant rate profile), with every per-request draw. */
export function generateRequests(scenario: Scenario, seed: number): SimRequest[] {
  const { classes, arrival } = scenario.workload;
  const maxRate = arrival.ratePerSec * Math.max(1, ...arrival.profile.map((p) => p.multiplier));
  const arrivals = new SeededRandom(mix(seed, 0xa77));
  const draws = new SeededRandom(mix(seed, 0xd7a));
  // A stream of its own, so scenarios without checks or feedback keep their arrivals and draws.
  const feedbackDraws = new SeededRandom(mix(seed, 0xfeed));
  const totalWeight = classes.reduce((s, c) => s + c.weight, 0);
  const out: SimRequest[] = [];
  let t = 0;
  for (;;) {
    t += exponential(arrivals, 1000 / maxRate);
    if (t >= scenario.duration) break;
    if (arrivals.next() * maxRate >= rateAt(scenario, t)) continue;
    let pick = draws.next() * totalWeight;
    let classIndex = 0;
    while (classIndex < classes.length - 1 && (pick -= classes[classIndex].weight) >= 0) classIndex++;
    const c: ScenarioClass = classes[classIndex];
    const input = Math.max(1, Math.round(c.inputTokens.median * Math.exp(sigmaOf(c.inputTokens.median, c.inputTokens.p95) * normal(draws))));
    const output = Math.max(1, Math.round(c.outputTokens.median * Math.exp(sigmaOf(c.outputTokens.median, c.outputTokens.p95) * normal(draws))));
    out.push({ index: out.length, at: Math.round(t), classIndex, inputTokens: input, outputTokens: output, uPolicy: draws.next(), uQuality: draws.next(), ...qualityDraws(feedbackDraws) });
  }
  return out;
}

function covering<T extends Window>(list: readonly T[], t: number): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i].start <= t && t < list[i].end) return list[i];
  return undefined;
}

export function armStateAt(arm: ScenarioArm, tl: ArmTimeline, t: number): ArmState {
  const outage = covering(tl.outages, t);
  let latencyMultiplier = 1;
  for (const s of tl.spikes) if (s.start <= t && t < s.end) latencyMultiplier *= s.multiplier;
  const rl = covering(tl.rateLimits, t);
  const limit = rl ? { rps: rl.rps, burst: rl.burst ?? rl.rps, retryAfterMs: rl.retryAfterMs } : arm.rateLimit ? { rps: arm.rateLimit.rps, burst: arm.rateLimit.burst ?? arm.rateLimit.rps, retryAfterMs: arm.rateLimit.retryAfterMs } : undefined;
  return {
    down: outage ? outage.mode : false,
    latencyMultiplier,
    failureRate: covering(tl.failureRate, t)?.failureRate ?? arm.failureRate,
    quality: covering(tl.quality, t)?.quality ?? arm.quality,
    ...(limit ? { rateLimit: limit } : {}),
  };
}

function qualityDraws(r: SeededRandom): Pick<SimRequest, 'uCheck' | 'uFeedback' | 'uNoise'> {
  return { uCheck: r.next(), uFeedback: r.next(), uNoise: r.next() };
}

/**
 * P(acceptable | ok, checks passed) of arm `arm` for class `className` at its state `s`: the class's
 * quality (or the arm's), scaled by a quality-drop event (which is stated against the arm's quality).
 */
export function classQuality(arm: ScenarioArm, s: ArmState, className: string): number {
  const base = arm.qualityByClass[className] ?? arm.quality;
  return arm.quality > 0 ? Math.min(1, (base * s.quality) / arm.quality) : s.quality;
}
