// Front-door benchmark: time to first token (TTFT) of streamed chat completions through the
// router's OpenAI-compatible HTTP front door, against calling provider-sim directly, both with the
// official `openai` SDK from one load generator, at a fixed number of concurrent streams.
//
//   npm run bench:frontdoor [-- --concurrency 100,500 --seconds 15 --out bench/results/frontdoor]
//
// provider-sim answers with a constant TTFT (FIRST_TOKEN_MS, no latency spread) and then one token
// every --token-interval-ms (default 20 ms: 50 tokens/s, --tokens 50 per answer), so every difference between the two paths is what the router adds:
// HTTP in, auth, validation, routing, the provider call through the SDK, SSE re-framing. Each
// concurrency level keeps that many streams open (closed loop) for `--seconds` after a warm-up;
// added TTFT is reported as the difference of the two paths' percentiles. The router needs a Kafka
// broker to start (it still consumes its topic): KAFKA_BROKERS, or infra/kafka.sh on KAFKA_PORT
// (default 39092). Tracing is off in the router (OTEL_SDK_DISABLED=true; BENCH_OTEL=1 turns it on).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { ensureBroker } from '../support/kafka-broker';
import { REPO_ROOT, sleep } from '../support/env';
import { startRouter, stopRouter, type RouterProcess } from '../support/router-process';
import { startSimProcess, type SimProcess } from '../support/sim-process';
import { summarize } from '../support/stats';
import { writeFrontdoorReport, type PathResult } from './report';

const FIRST_TOKEN_MS = 200;
const WARMUP_S = 3;
const MODEL = 'bench-stream';
const KEY = 'sk-bench-frontdoor';

interface Args {
  concurrency: number[];
  seconds: number;
  out: string;
  /** Stream shape after the first token: one token per interval (50 per second by default, like a fast model). */
  tokenIntervalMs: number;
  tokens: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { concurrency: [100, 500], seconds: 15, out: join(REPO_ROOT, 'bench', 'results', 'frontdoor'), tokenIntervalMs: 20, tokens: 50 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--concurrency') args.concurrency = value.split(',').map(Number);
    else if (flag === '--seconds') args.seconds = Number(value);
    else if (flag === '--out') args.out = value;
    else if (flag === '--token-interval-ms') args.tokenIntervalMs = Number(value);
    else if (flag === '--tokens') args.tokens = Number(value);
    else throw new Error(`unknown option ${flag} (options: --concurrency 100,500 --seconds 15 --token-interval-ms 20 --tokens 50 --out DIR)`);
    i++;
  }
  if (args.concurrency.some((c) => !Number.isInteger(c) || c < 1) || !(args.seconds > 0) || !(args.tokenIntervalMs >= 0) || !(args.tokens >= 1)) {
    throw new Error('--concurrency takes positive integers, --seconds a positive number, --token-interval-ms a number ≥ 0, --tokens an integer ≥ 1');
  }
  return args;
}

/** Keeps `concurrency` streams open for `seconds`, recording each stream's TTFT after the warm-up. */
async function measure(client: OpenAI, model: string, concurrency: number, seconds: number, path: PathResult['path']): Promise<PathResult> {
  const ttft: number[] = [];
  let failed = 0;
  let streams = 0;
  const warmEnd = performance.now() + WARMUP_S * 1000;
  const end = warmEnd + seconds * 1000;
  const one = async (n: number) => {
    const started = performance.now();
    let first: number | undefined;
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: `stream ${n}` }], stream: true });
    for await (const chunk of stream) {
      if (first === undefined && chunk.choices[0]?.delta?.content) first = performance.now();
    }
    if (first === undefined) throw new Error('stream ended without text');
    return { started, ttft: first - started };
  };
  let n = 0;
  const worker = async () => {
    while (performance.now() < end) {
      try {
        const r = await one(n++);
        if (r.started >= warmEnd && r.started < end) {
          ttft.push(r.ttft);
          streams++;
        }
      } catch {
        if (performance.now() >= warmEnd) failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { path, concurrency, streams, failed, ttftMs: summarize(ttft) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let sim: SimProcess | undefined;
  let router: RouterProcess | undefined;
  const broker = ensureBroker();
  const stopAll = async () => {
    await stopRouter(router);
    await sim?.close();
    broker.stop();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    sim = await startSimProcess(
      { seed: 1, models: [{ name: MODEL, api: 'openai', outputTokens: args.tokens, latency: { medianMs: FIRST_TOKEN_MS, p95Ms: FIRST_TOKEN_MS, tokenIntervalMs: args.tokenIntervalMs } }] },
      1,
    );
    const table = join(REPO_ROOT, 'bench', 'results', 'tmp', 'frontdoor-routing.yaml');
    mkdirSync(join(REPO_ROOT, 'bench', 'results', 'tmp'), { recursive: true });
    writeFileSync(
      table,
      [
        'providers:',
        '  sim:',
        '    kind: openai-compatible',
        `    baseUrl: ${sim.url}/openai/v1`,
        'arms:',
        '  - id: bench-arm',
        '    provider: sim',
        `    model: ${MODEL}`,
        '    pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }',
        '    contextWindow: 128000',
        '    maxOutputTokens: 4096',
        '    timeouts: { connectMs: 2000, totalMs: 30000 }',
        '',
      ].join('\n'),
    );
    const tag = `bench-frontdoor-${Date.now()}`;
    router = await startRouter({
      env: {
        KAFKA_BROKERS: broker.brokers.join(','),
        ROUTING_TABLE: table,
        FRONTDOOR_API_KEYS: `bench:${createHash('sha256').update(KEY).digest('hex')}`,
        TOPIC_REQUESTS: `${tag}.requests`,
        TOPIC_RESPONSES: `${tag}.responses`,
        TOPIC_DLQ: `${tag}.dlq`,
        TOPIC_ESCALATIONS: `${tag}.escalations`,
        TOPIC_OUTCOMES: `${tag}.outcomes`,
        KAFKA_GROUP_ID: `${tag}-router`,
        IDEMPOTENCY_WARM_FROM_RESPONSES: 'false',
        ...(process.env.BENCH_OTEL === '1' ? {} : { OTEL_SDK_DISABLED: 'true' }),
      },
    });
    const direct = new OpenAI({ apiKey: 'sk-direct', baseURL: `${sim.url}/openai/v1`, maxRetries: 0, timeout: 60_000 });
    const viaRouter = new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${router.port}/v1`, maxRetries: 0, timeout: 60_000 });
    const results: PathResult[] = [];
    for (const concurrency of args.concurrency) {
      for (const [path, client, model] of [['direct', direct, MODEL], ['router', viaRouter, 'switchyard/auto']] as const) {
        process.stderr.write(`bench:frontdoor: ${path}, ${concurrency} concurrent streams, ${WARMUP_S} s warm-up + ${args.seconds} s\n`);
        const result = await measure(client, model, concurrency, args.seconds, path);
        results.push(result);
        process.stderr.write(`  ${result.streams} streams, ${result.failed} failed, TTFT p50 ${result.ttftMs.p50} ms p99 ${result.ttftMs.p99} ms\n`);
        await sleep(1_000);
      }
    }
    const machine = { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', loadavg: loadavg().map((l) => Number(l.toFixed(2))), node: process.version };
    const setup = { firstTokenMs: FIRST_TOKEN_MS, tokenIntervalMs: args.tokenIntervalMs, tokens: args.tokens, warmupS: WARMUP_S, seconds: args.seconds, otel: process.env.BENCH_OTEL === '1' };
    const command = ['npm run bench:frontdoor', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
    const report = writeFrontdoorReport(args.out, { results, machine, setup, at: new Date().toISOString(), command });
    process.stdout.write(report);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:frontdoor failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
