// Proves the LiteLLM side of the peer benchmark end to end, in about a minute: installs LiteLLM,
// runs it against a 3-model provider simulator (2 OpenAI, 1 Anthropic) and checks that every
// request succeeds in three phases: baseline; an outage of the model LiteLLM prefers (it must
// route around it); a 429 storm with Retry-After on that model. Prints per phase the successes,
// client latency p50/p95 and the simulator's attempts per request by model.
//
//   npm run build && node dist/bench/peers/litellm-smoke.js [--requests 30] [--log-dir DIR]
//
// Exits 1 if a phase has a failed request, or if an upstream call is not attributed to one of
// the requests (x-switchyard-request-id not forwarded).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord, SimConfigInput } from '../../apps/provider-sim/src';
import { nowMs } from '../support/env';
import { startSimProcess, type SimProcess } from '../support/sim-process';
import { percentile, round } from '../support/stats';
import { callLiteLLM, ensureLiteLLM, startLiteLLM, type LiteLLMCallResult, type LiteLLMProxy, type PeerArm } from './litellm';

const ARMS: PeerArm[] = [
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

interface PhaseResult {
  name: string;
  results: LiteLLMCallResult[];
  calls: CallRecord[];
  requestIds: Set<string>;
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

async function runPhase(name: string, sim: SimProcess, proxy: LiteLLMProxy, n: number): Promise<PhaseResult> {
  const { lastSeq } = await sim.calls();
  const results: LiteLLMCallResult[] = [];
  const requestIds = new Set<string>();
  for (let i = 0; i < n; i++) {
    const requestId = `${name}-${i}-${Math.floor(nowMs())}`;
    requestIds.add(requestId);
    results.push(await callLiteLLM(proxy.url, { model: proxy.model, apiKey: proxy.apiKey, requestId, prompt: `Smoke request ${i}: say something short.`, maxTokens: 60, timeoutMs: 30_000 }));
  }
  await new Promise((r) => setTimeout(r, 200)); // let the simulator log calls the proxy abandoned
  return { name, results, calls: (await sim.calls(lastSeq)).calls, requestIds };
}

function report(p: PhaseResult): string[] {
  const ok = p.results.filter((r) => r.ok);
  const lat = p.results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const served = new Map<string, number>();
  for (const r of ok) served.set(r.servedModel ?? '?', (served.get(r.servedModel ?? '?') ?? 0) + 1);
  const byModel = new Map<string, Map<string, number>>();
  for (const c of p.calls) {
    const m = byModel.get(c.model ?? '?') ?? new Map<string, number>();
    const key = c.outcome === 'ok' ? 'ok' : `${c.status ?? c.outcome}`;
    m.set(key, (m.get(key) ?? 0) + 1);
    byModel.set(c.model ?? '?', m);
  }
  const perRequest = new Map<string, number>();
  for (const c of p.calls) if (c.requestId) perRequest.set(c.requestId, (perRequest.get(c.requestId) ?? 0) + 1);
  const attempts = [...p.requestIds].map((id) => perRequest.get(id) ?? 0);
  const attributed = p.calls.filter((c) => c.requestId !== null && p.requestIds.has(c.requestId)).length;
  const errors = new Map<string, number>();
  for (const r of p.results) if (!r.ok) errors.set(`${r.status} ${r.exception ?? r.errorType}`, (errors.get(`${r.status} ${r.exception ?? r.errorType}`) ?? 0) + 1);
  const fmt = (m: Map<string, number>) => [...m].map(([k, v]) => `${k}×${v}`).join(' ');
  const lines = [
    `== ${p.name}: ${ok.length}/${p.results.length} ok; client latency p50 ${round(percentile(lat, 50), 0)} ms, p95 ${round(percentile(lat, 95), 0)} ms; served by: ${fmt(served)}`,
    `   sim attempts/request: mean ${round(attempts.reduce((s, a) => s + a, 0) / (attempts.length || 1), 2)}, max ${Math.max(0, ...attempts)}; calls ${p.calls.length} (${attributed} carry our request id); LiteLLM-reported retries ${ok.reduce((s, r) => s + (r.retries ?? 0), 0)}, fallbacks ${ok.reduce((s, r) => s + (r.fallbacks ?? 0), 0)}`,
    ...[...byModel].map(([model, m]) => `   sim ${model.padEnd(13)} ${fmt(m)}`),
  ];
  const worst = [...perRequest].sort((a, b) => b[1] - a[1])[0];
  if (worst && worst[1] > 1) {
    const seq = p.calls.filter((c) => c.requestId === worst[0]);
    const start = seq[0].at;
    lines.push(`   most attempts (${worst[1]}): ${seq.map((c) => `+${c.at - start}ms ${c.model} ${c.status ?? c.outcome}`).join(', ')}`);
  }
  if (errors.size) lines.push(`   errors: ${fmt(errors)}; first: ${p.results.find((r) => !r.ok)?.error ?? ''}`);
  return lines;
}

async function main(): Promise<void> {
  const n = Number(arg('--requests') ?? 30);
  const logDir = arg('--log-dir') ?? mkdtempSync(join(tmpdir(), 'switchyard-litellm-smoke-'));
  const t0 = nowMs();
  const { version } = await ensureLiteLLM();
  console.log(`litellm ${version} (install check ${round((nowMs() - t0) / 1000, 1)} s); logs in ${logDir}`);
  const sim = await startSimProcess(SIM_CONFIG, 1);
  let proxy: LiteLLMProxy | undefined;
  const failures: string[] = [];
  try {
    const t1 = nowMs();
    proxy = await startLiteLLM({ simUrl: sim.url, arms: ARMS, logDir });
    console.log(`litellm proxy ready on ${proxy.url} in ${round((nowMs() - t1) / 1000, 1)} s (config ${proxy.configPath})`);

    const phases: PhaseResult[] = [];
    const check = (p: PhaseResult) => {
      phases.push(p);
      for (const line of report(p)) console.log(line);
      const bad = p.results.filter((r) => !r.ok).length;
      if (bad) failures.push(`${p.name}: ${bad} failed`);
      const foreign = p.calls.filter((c) => c.requestId === null || !p.requestIds.has(c.requestId)).length;
      if (foreign) failures.push(`${p.name}: ${foreign} upstream calls without our request id`);
      if (p.calls.length < p.results.length) failures.push(`${p.name}: fewer upstream calls than requests`);
      return p;
    };

    const baseline = check(await runPhase('baseline', sim, proxy, n));
    // The model LiteLLM's latency routing settled on: the one that served most baseline requests.
    const counts = new Map<string, number>();
    for (const r of baseline.results) if (r.servedModel) counts.set(r.servedModel, (counts.get(r.servedModel) ?? 0) + 1);
    const primary = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? ARMS[0].model;

    console.log(`-- outage: ${primary} answers every call with 503/529`);
    await patchModel(sim, primary, { faults: { outage: true } });
    check(await runPhase('outage', sim, proxy, n));
    await patchModel(sim, primary, { faults: { outage: false } });

    console.log(`-- 429 storm: ${primary} answers every call with 429, Retry-After 10 s`);
    await patchModel(sim, primary, { faults: { rate429: 1, retryAfterS: 10 } });
    check(await runPhase('rate429', sim, proxy, n));
    await patchModel(sim, primary, { faults: { rate429: 0 } });
  } finally {
    await proxy?.close();
    await sim.close();
  }
  console.log(`total ${round((nowMs() - t0) / 1000, 1)} s`);
  if (failures.length) {
    console.error(`FAIL: ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log('PASS');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
