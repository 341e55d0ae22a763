// The scaffolding of the peer smoke tests (litellm-smoke.ts, portkey-smoke.ts), in one place so
// both peers are proved on the same simulator, the same phases and the same pass criteria: a
// 3-model provider simulator (2 OpenAI, 1 Anthropic); `--requests` sequential requests per phase
// (baseline; an outage of the model the peer served most in the baseline; a 429 storm with
// Retry-After on it); per phase the successes, client latency p50/p95 and the simulator's
// attempts per request by model; exit 1 if a phase has a failed request, an upstream call
// without our request id, fewer upstream calls than requests, or a peer-specific check fails.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord, SimConfigInput } from '../../apps/provider-sim/src';
import { nowMs } from '../support/env';
import { startSimProcess, type SimProcess } from '../support/sim-process';
import { percentile, round } from '../support/stats';
import type { PeerCallResult, PeerRequest } from './chat-call';
import type { PeerArm } from './peer-arm';

export const SMOKE_ARMS: PeerArm[] = [
  { id: 'fast-openai', api: 'openai', model: 'sim-gpt-fast', inputPer1M: 0.15, outputPer1M: 0.6, contextWindow: 128_000, timeoutMs: 10_000 },
  { id: 'steady-anthropic', api: 'anthropic', model: 'sim-claude', inputPer1M: 0.8, outputPer1M: 4, contextWindow: 200_000, timeoutMs: 10_000 },
  { id: 'slow-openai', api: 'openai', model: 'sim-gpt-slow', inputPer1M: 2.5, outputPer1M: 10, contextWindow: 128_000, timeoutMs: 10_000 },
];

const SIM_CONFIG: SimConfigInput = {
  seed: 7,
  models: [
    { name: 'sim-gpt-fast', api: 'openai', contextWindow: 128_000, outputTokens: 60, latency: { medianMs: 120, p95Ms: 250 } },
    { name: 'sim-claude', api: 'anthropic', contextWindow: 200_000, outputTokens: 60, latency: { medianMs: 300, p95Ms: 600 } },
    { name: 'sim-gpt-slow', api: 'openai', contextWindow: 128_000, outputTokens: 60, latency: { medianMs: 500, p95Ms: 900 } },
  ],
};

export interface PhaseResult<R extends PeerCallResult> {
  name: string;
  results: R[];
  calls: CallRecord[];
  requestIds: Set<string>;
}

/** A started peer, as the smoke test drives it. */
export interface SmokePeer<R extends PeerCallResult> {
  /** One request through the peer; never rejects. */
  call(req: PeerRequest): Promise<R>;
  /** Peer-specific failures of a phase. */
  check?(p: PhaseResult<R>): string[];
  close(): Promise<void>;
}

export interface SmokeSpec<R extends PeerCallResult> {
  /** In the temporary log folder's name: switchyard-<name>-smoke-. */
  name: string;
  /** Installs (or finds) the peer; returns the line that names it, e.g. `litellm 1.106.2`. */
  install(): Promise<string>;
  /** Starts the peer; `ready` is the start-up line's beginning, `about` its end (after the time). */
  start(simUrl: string, logDir: string): Promise<{ peer: SmokePeer<R>; ready: string; about: string }>;
  /** Per-model line key of a simulator call, and its padding. */
  simModelKey(c: CallRecord): string;
  simModelWidth: number;
  /** The error label of a failed result (after its status). */
  errorLabel(r: R): string;
  /** Extra lines after a phase's first line (given the successful results). */
  extraLines?(ok: R[]): string[];
  /** The end of the attempts line: what the peer reports about its retries (given the successful results). */
  retrySummary(ok: R[]): string;
}

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function patchModel(sim: SimProcess, model: string, patch: object): Promise<void> {
  const res = await fetch(`${sim.url}/_sim/models/${encodeURIComponent(model)}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  if (!res.ok) throw new Error(`PATCH ${model}: HTTP ${res.status} ${await res.text()}`);
}

async function runPhase<R extends PeerCallResult>(name: string, sim: SimProcess, peer: SmokePeer<R>, n: number): Promise<PhaseResult<R>> {
  const { lastSeq } = await sim.calls();
  const results: R[] = [];
  const requestIds = new Set<string>();
  for (let i = 0; i < n; i++) {
    const requestId = `${name}-${i}-${Math.floor(nowMs())}`;
    requestIds.add(requestId);
    results.push(await peer.call({ requestId, prompt: `Smoke request ${i}: say something short.`, maxTokens: 60, timeoutMs: 30_000 }));
  }
  await new Promise((r) => setTimeout(r, 200)); // let the simulator log calls the peer abandoned
  return { name, results, calls: (await sim.calls(lastSeq)).calls, requestIds };
}

export const fmtCounts = (m: Map<string, number>) => [...m].map(([k, v]) => `${k}×${v}`).join(' ');
export const countKeys = (keys: string[]) => keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());

function report<R extends PeerCallResult>(spec: SmokeSpec<R>, p: PhaseResult<R>): string[] {
  const ok = p.results.filter((r) => r.ok);
  const lat = p.results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const byModel = new Map<string, Map<string, number>>();
  for (const c of p.calls) {
    const m = byModel.get(spec.simModelKey(c)) ?? new Map<string, number>();
    const key = c.outcome === 'ok' ? 'ok' : `${c.status ?? c.outcome}`;
    m.set(key, (m.get(key) ?? 0) + 1);
    byModel.set(spec.simModelKey(c), m);
  }
  const perRequest = countKeys(p.calls.flatMap((c) => (c.requestId ? [c.requestId] : [])));
  const attempts = [...p.requestIds].map((id) => perRequest.get(id) ?? 0);
  const attributed = p.calls.filter((c) => c.requestId !== null && p.requestIds.has(c.requestId)).length;
  const errors = countKeys(p.results.filter((r) => !r.ok).map((r) => `${r.status} ${spec.errorLabel(r)}`));
  const lines = [
    `== ${p.name}: ${ok.length}/${p.results.length} ok; client latency p50 ${round(percentile(lat, 50), 0)} ms, p95 ${round(percentile(lat, 95), 0)} ms; served by: ${fmtCounts(countKeys(ok.map((r) => r.servedModel ?? '?')))}`,
    ...(spec.extraLines?.(ok) ?? []),
    `   sim attempts/request: mean ${round(attempts.reduce((s, a) => s + a, 0) / (attempts.length || 1), 2)}, max ${Math.max(0, ...attempts)}; calls ${p.calls.length} (${attributed} carry our request id); ${spec.retrySummary(ok)}`,
    ...[...byModel].map(([model, m]) => `   sim ${model.padEnd(spec.simModelWidth)} ${fmtCounts(m)}`),
  ];
  const worst = [...perRequest].sort((a, b) => b[1] - a[1])[0];
  if (worst && worst[1] > 1) {
    const seq = p.calls.filter((c) => c.requestId === worst[0]);
    const start = seq[0].at;
    lines.push(`   most attempts (${worst[1]}): ${seq.map((c) => `+${c.at - start}ms ${c.model} ${c.status ?? c.outcome}`).join(', ')}`);
  }
  if (errors.size) lines.push(`   errors: ${fmtCounts(errors)}; first: ${p.results.find((r) => !r.ok)?.error ?? ''}`);
  return lines;
}

/** Runs the smoke test for one peer and exits the process: 0 on PASS, 1 on FAIL or error. */
export function runSmoke<R extends PeerCallResult>(spec: SmokeSpec<R>): void {
  main(spec).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

async function main<R extends PeerCallResult>(spec: SmokeSpec<R>): Promise<void> {
  const n = Number(arg('--requests') ?? 30);
  const logDir = arg('--log-dir') ?? mkdtempSync(join(tmpdir(), `switchyard-${spec.name}-smoke-`));
  const t0 = nowMs();
  const installed = await spec.install();
  console.log(`${installed} (install check ${round((nowMs() - t0) / 1000, 1)} s); logs in ${logDir}`);
  const sim = await startSimProcess(SIM_CONFIG, 1);
  let peer: SmokePeer<R> | undefined;
  const failures: string[] = [];
  try {
    const t1 = nowMs();
    const started = await spec.start(sim.url, logDir);
    peer = started.peer;
    console.log(`${started.ready} in ${round((nowMs() - t1) / 1000, 1)} s${started.about}`);

    const check = (p: PhaseResult<R>) => {
      for (const line of report(spec, p)) console.log(line);
      const bad = p.results.filter((r) => !r.ok).length;
      if (bad) failures.push(`${p.name}: ${bad} failed`);
      const foreign = p.calls.filter((c) => c.requestId === null || !p.requestIds.has(c.requestId)).length;
      if (foreign) failures.push(`${p.name}: ${foreign} upstream calls without our request id`);
      if (p.calls.length < p.results.length) failures.push(`${p.name}: fewer upstream calls than requests`);
      failures.push(...(started.peer.check?.(p) ?? []));
      return p;
    };

    const baseline = check(await runPhase('baseline', sim, started.peer, n));
    // The model the peer prefers (LiteLLM: where its latency routing settled; Portkey: the first
    // arm of its fallback chain): the one that served most baseline requests.
    const primary = [...countKeys(baseline.results.flatMap((r) => (r.servedModel ? [r.servedModel] : [])))].sort((a, b) => b[1] - a[1])[0]?.[0] ?? SMOKE_ARMS[0].model;

    console.log(`-- outage: ${primary} answers every call with 503/529`);
    await patchModel(sim, primary, { faults: { outage: true } });
    check(await runPhase('outage', sim, started.peer, n));
    await patchModel(sim, primary, { faults: { outage: false } });

    console.log(`-- 429 storm: ${primary} answers every call with 429, Retry-After 10 s`);
    await patchModel(sim, primary, { faults: { rate429: 1, retryAfterS: 10 } });
    check(await runPhase('rate429', sim, started.peer, n));
    await patchModel(sim, primary, { faults: { rate429: 0 } });
  } finally {
    await peer?.close();
    await sim.close();
  }
  console.log(`total ${round((nowMs() - t0) / 1000, 1)} s`);
  if (failures.length) {
    console.error(`FAIL: ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log('PASS');
}
