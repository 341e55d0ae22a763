// Where the front door's added time to first token goes (issue 22): one stream at a time, through
// the router and directly to provider-sim, alternating; per path TTFT, the router's CPU per stream
// (/proc), and the legs: client send → call arrives at the simulator (inbound) and the simulator's
// first piece → client (outbound); inside the router (legs-preload.ts, diagnostics channels) request
// arrived → provider request created → on the socket, and provider answer → first write to the client.
//
//   npm run build && node dist/bench/frontdoor/legs.js [streams per round, 300]
//   LEGS_ROUNDS [2]; LEGS_ROUTER_ARGS: extra node flags for the router (e.g. --cpu-prof); KAFKA_BROKERS or KAFKA_PORT
//
// The simulator answers after 20 ms with 3 pieces 5 ms apart, so the router sees tens of streams a
// second (warm JIT) while only one is ever in flight. A diagnostic, not part of `npm run bench`.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { ensureBroker } from '../support/kafka-broker';
import { REPO_ROOT } from '../support/env';
import { startRouter, stopRouter } from '../support/router-process';
import { startSimProcess } from '../support/sim-process';
import { summarize } from '../support/stats';
import { cpuSeconds } from '../support/proc-cpu';

const KEY = 'sk-bench-frontdoor';
async function main() {
  const n = Number(process.argv[2] ?? 300);
  const nodeArgs = ['-r', join(REPO_ROOT, 'dist/bench/frontdoor/legs-preload.js'), ...(process.env.LEGS_ROUTER_ARGS ?? '').split(' ').filter(Boolean)];
  const broker = ensureBroker();
  const sim = await startSimProcess({ seed: 1, models: [{ name: 'bench-stream', api: 'openai', outputTokens: 3, latency: { medianMs: 20, p95Ms: 20, tokenIntervalMs: 5 } }] } as never, 1);
  const table = join(REPO_ROOT, 'bench', 'results', 'tmp', 'legs-routing.yaml');
  mkdirSync(join(REPO_ROOT, 'bench', 'results', 'tmp'), { recursive: true });
  writeFileSync(table, ['providers:', '  sim:', '    kind: openai-compatible', `    baseUrl: ${sim.url}/openai/v1`, 'arms:', '  - id: bench-arm', '    provider: sim', '    model: bench-stream', '    pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }', '    contextWindow: 128000', '    maxOutputTokens: 4096', '    timeouts: { connectMs: 2000, totalMs: 30000 }', ''].join('\n'));
  const tag = `bench-legs-${Date.now()}`;
  const router = await startRouter({ nodeArgs, env: { LEGS_SKIP: '50', KAFKA_BROKERS: broker.brokers.join(','), ROUTING_TABLE: table, FRONTDOOR_API_KEYS: `bench:${createHash('sha256').update(KEY).digest('hex')}`, TOPIC_REQUESTS: `${tag}.requests`, TOPIC_RESPONSES: `${tag}.responses`, TOPIC_DLQ: `${tag}.dlq`, TOPIC_ESCALATIONS: `${tag}.escalations`, TOPIC_OUTCOMES: `${tag}.outcomes`, KAFKA_GROUP_ID: `${tag}-router`, IDEMPOTENCY_WARM_FROM_RESPONSES: 'false', OTEL_SDK_DISABLED: 'true' } });
  const direct = new OpenAI({ apiKey: 'sk-direct', baseURL: `${sim.url}/openai/v1`, maxRetries: 0 });
  const via = new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${router.port}/v1`, maxRetries: 0 });
  const run = async (client: OpenAI, model: string, count: number) => {
    const { lastSeq } = await sim.calls(Number.MAX_SAFE_INTEGER);
    const c0 = cpuSeconds(router.child.pid)!;
    const rows: Array<{ t0: number; first: number }> = [];
    for (let i = 0; i < count; i++) {
      const t0 = Date.now() + (performance.now() % 1);
      const p0 = performance.now();
      const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `legs ${i}` }], stream: true });
      let first: number | undefined;
      for await (const c of stream) if (first === undefined && c.choices[0]?.delta?.content) first = performance.now() - p0;
      rows.push({ t0, first: first! });
    }
    const cpuMs = ((cpuSeconds(router.child.pid)! - c0) * 1000) / count;
    const { calls } = await sim.calls(lastSeq);
    const inbound = calls.map((c, i) => c.at - rows[i].t0);
    const outbound = rows.map((r, i) => r.first - (calls[i].at - r.t0) - 20);
    return { cpuMs, ttft: summarize(rows.map((r) => r.first)), inbound: summarize(inbound), outbound: summarize(outbound) };
  };
  await run(direct, 'bench-stream', 50);
  await run(via, 'switchyard/auto', 50);
  for (let round = 0; round < Number(process.env.LEGS_ROUNDS ?? 2); round++) {
    const d = await run(direct, 'bench-stream', n);
    const r = await run(via, 'switchyard/auto', n);
    console.log(`round ${round}: TTFT p50 direct ${d.ttft.p50} router ${r.ttft.p50} (added ${(r.ttft.p50 - d.ttft.p50).toFixed(2)}), p99 ${d.ttft.p99} / ${r.ttft.p99}; router CPU per stream ${r.cpuMs.toFixed(2)} ms (idle-time share while direct: ${d.cpuMs.toFixed(2)})`);
    console.log(`  inbound (client send -> sim arrival) p50 direct ${d.inbound.p50} router ${r.inbound.p50}; outbound (sim first token -> client) p50 direct ${d.outbound.p50} router ${r.outbound.p50}`);
  }
  await stopRouter(router);
  console.log(router.output().split('\n').filter((l) => l.includes('[legs]')).join('\n'));
  await sim.close();
  broker.stop();
}
main().catch((err: unknown) => {
  process.stderr.write(`legs failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
