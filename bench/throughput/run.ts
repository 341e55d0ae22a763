// Throughput and added-latency benchmark of one router instance (issue 2). Not a test: it measures
// and reports, it does not fail on a missed goal. Every run also puts a bare Kafka echo
// (echo-process.ts) through the same paced and steady phases and runs a bare SDK call loop
// (sdk-loop-process.ts), the machine's own limit the router's figures are reported against (issue 22).
//
//   npm run bench:throughput            # build, then node dist/bench/throughput/run.js
//   npm run bench:throughput -- --quick # regression guard (~1.5 min): drain + one paced load + steady
//                                       # state with 10,000 requests, no 2-second phases; prints the
//                                       # router CPU per request and writes throughput-quick.json/.md
//
// Env knobs (defaults in brackets):
//   KAFKA_BROKERS                 use this broker instead of starting one (infra/kafka.sh on 39092/39093)
//   BENCH_REQUESTS [30000]        requests in the backlog-drain and in the produce-while-consuming phases
//   BENCH_PACED_RATES [200,500,1000,1500] paced loads (req/s) for the added-latency phases
//   BENCH_PACED_SECONDS [10]      duration of each paced phase
//   BENCH_SLOW_WINDOW_S [16]      measuring window of each 2-second-latency phase (a multiple of 2)
//   BENCH_SLOW_IN_FLIGHT [512,256] ROUTER_MAX_IN_FLIGHT values for the 2-second-latency phases
//   BENCH_PROFILE [0]             1: run the instant-provider router under `node --cpu-prof` and
//                                 summarise its top self-time functions (numbers are then perturbed);
//                                 steady: profile the paced + steady-state router instead (the
//                                 .cpuprofile is written under <BENCH_OUT>/profiles, not summarised)
//   BENCH_PHASE_CAP_S [30]        time cap of each backlog phase (drain, steady)
//   BENCH_KAFKAJS_MAX_WAIT_MS     what-if: start the routers with a preload that sets kafkajs
//                                 consumer maxWaitTimeInMs (results go to throughput-whatif-*.json/md)
//   BENCH_OTEL [0]                1: leave the router's OpenTelemetry SDK on, exporting every span over
//                                 OTLP/HTTP to a sink in this process that drains and acknowledges
//                                 each export (the cost of tracing without a collector's own CPU);
//                                 default: OTEL_SDK_DISABLED=true
//   BENCH_ROUTER_WARMUP [5000]    requests the paced/steady router answers before its first measured phase
//                                 (JIT warm-up; the drain router starts cold on purpose: start-up cost)
//   BENCH_BROKER_WARMUP_S [20]    when the bench starts its own broker: seconds of produce/consume on a
//                                 scratch topic first, so the broker's JIT is warm when measuring starts
//   BENCH_ROUTER_NODE_OPTIONS     NODE_OPTIONS for the routers only (e.g. --max-semi-space-size=32)
//   BENCH_ROUTER_NODE_ARGS        node flags for the routers' command line (flags NODE_OPTIONS refuses,
//                                 e.g. --single-threaded-gc)
//   BENCH_ROUTER_CPUS             pin the routers to these CPUs (taskset -c, e.g. 1): the router's own
//                                 latency without it queueing behind the broker and load generator
//   BENCH_MAX_CPU_MS [unset]      with --quick: exit 3 when the router CPU per request of the steady
//                                 state is above this (ms)
//   BENCH_OUT [bench/results]     where throughput.json / throughput.md go
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { REPO_ROOT, nowMs, sleep } from '../support/env';
import { ensureBroker, type BrokerHandle } from '../support/kafka-broker';
import {
  benchKafka,
  connectLoadProducer,
  createTopics,
  deleteTopics,
  requestMessage,
  ResponseCollector,
  uniqueTopics,
  warmBroker,
  type BenchTopics,
  type SentInfo,
} from '../support/kafka-io';
import { summarizeProfile, type ProfileSummary } from '../support/cpu-profile';
import { routerTransportStats, startRouter, stopRouter, writeRoutingTable, type RouterProcess } from '../support/router-process';
import { startSimProcess, type SimProcess } from '../support/sim-process';
import { round, summarize } from '../support/stats';
import { cpuSeconds, measureCpu, type CpuShare } from '../support/proc-cpu';
import { startOtlpSink, type OtlpSink } from '../support/otlp-sink';
import { CONFIG } from './config';
import { referenceBreakdown } from './reference';
import { renderMarkdown } from './report';
import type { Goal, InstantResults, LoopStats, PacedResult, SdkLoopResult, SlowResult, ThroughputResult } from './results';
import { silenceTimeoutNegativeWarning } from '../support/quiet-warnings';

silenceTimeoutNegativeWarning();

const ARM = { id: 'sim-gpt-4o-mini', model: CONFIG.simModel, totalMs: 30_000 };

function simConfig(latencyMs: number) {
  return {
    seed: 42,
    models: [
      {
        name: CONFIG.simModel,
        api: 'openai' as const,
        contextWindow: 128_000,
        maxOutputTokens: 16_384,
        outputTokens: CONFIG.simOutputTokens,
        latency: { medianMs: latencyMs, p95Ms: latencyMs },
      },
    ],
    phases: [],
  };
}

/** pid of the broker (when known) for CPU accounting. */
let brokerPid: number | undefined;

/** The process measured in a phase: the router, or the bare Kafka echo of the reference phases. */
interface Target {
  child: ChildProcess;
  /** Ends a window of the router's loop-stats preload and returns its figures (the echo has none). */
  loopStats?(): Promise<LoopStats | undefined>;
  /** Requests it had in flight at most (the router's transport stats; null for the echo). */
  peakInFlight(): Promise<number | null>;
  stop(): Promise<void>;
}

function routerTarget(router: RouterProcess): Target {
  return {
    child: router.child,
    loopStats: async () => {
      router.child.kill('SIGUSR2');
      await sleep(200);
      const line = router.output().split('\n').filter((l) => l.startsWith('[loop-stats] ')).pop();
      return line ? (JSON.parse(line.slice('[loop-stats] '.length)) as LoopStats) : undefined;
    },
    peakInFlight: async () => ((await routerTransportStats(router))?.peakInFlight as number | undefined) ?? null,
    stop: () => stopRouter(router, 15_000),
  };
}

function cpuOf(router: Pick<Target, 'child'>, sim: SimProcess): () => CpuShare {
  return measureCpu({ router: router.child.pid, broker: brokerPid, providerSim: sim.child.pid, loadGenerator: process.pid });
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** Prints `sent / received / rate` every few seconds until stopped. */
function progress(label: string, sent: () => number, received: () => number): () => void {
  const started = Date.now();
  let lastReceived = received();
  let lastAt = started;
  const timer = setInterval(() => {
    const now = Date.now();
    const r = received();
    const rate = ((r - lastReceived) * 1000) / (now - lastAt);
    log(`[${label}] t=${((now - started) / 1000).toFixed(0)}s sent=${sent()} received=${r} rate=${rate.toFixed(0)} resp/s in-flight(client view)=${sent() - r}`);
    lastReceived = r;
    lastAt = now;
  }, CONFIG.progressEveryMs);
  return () => clearInterval(timer);
}

/** Produces `ids` as fast as possible: batches of 1,000, a few produce requests in flight. */
async function produceAll(producer: Producer, topic: string, ids: string[], sent: Map<string, SentInfo>, counter: { n: number }): Promise<{ seconds: number; rate: number }> {
  const started = nowMs();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < ids.length; i += CONFIG.produceBatch) {
    const messages = ids.slice(i, i + CONFIG.produceBatch).map((id) => requestMessage(id, sent));
    const p: Promise<void> = producer.send({ topic, messages, acks: -1 }).then(() => {
      counter.n += messages.length;
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= CONFIG.produceConcurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = (nowMs() - started) / 1000;
  return { seconds: round(seconds, 2), rate: Math.round(ids.length / seconds) };
}

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

function cpuPerResponse(cpuBefore: number | undefined, pid: number | undefined, responses: number): { routerCpuMsPerResponse: number | null; projectedPerCorePerS: number | null } {
  const after = cpuSeconds(pid);
  if (cpuBefore === undefined || after === undefined || responses === 0) return { routerCpuMsPerResponse: null, projectedPerCorePerS: null };
  const ms = ((after - cpuBefore) * 1000) / responses;
  return { routerCpuMsPerResponse: round(ms, 3), projectedPerCorePerS: Math.round(1000 / ms) };
}

function windowPeak(arrivals: number[], windowMs: number): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < arrivals.length; i++) {
    while (arrivals[i] - arrivals[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return Math.round((best * 1000) / windowMs);
}

function throughputOf(keys: string[], collector: ResponseCollector, startedAt: number): Omit<ThroughputResult, 'produce' | 'simPeakInFlight' | 'routerPeakInFlight' | 'capS' | 'complete' | 'cpuCores' | 'routerCpuMsPerResponse' | 'projectedPerCorePerS'> {
  const arrivals: number[] = [];
  let failed = 0;
  for (const k of keys) {
    const r = collector.received.get(k);
    if (!r) continue;
    arrivals.push(r.receivedAt);
    if (r.status !== 'ok') failed++;
  }
  arrivals.sort((a, b) => a - b);
  const first = arrivals[0];
  const last = arrivals[arrivals.length - 1];
  const span = (last - first) / 1000;
  return {
    requests: keys.length,
    received: arrivals.length,
    failed,
    duplicates: collector.duplicates,
    firstToLastS: round(span, 2),
    responsesPerS: Math.round((arrivals.length - 1) / span),
    endToEndPerS: Math.round(arrivals.length / ((last - startedAt) / 1000)),
    peak2sPerS: windowPeak(arrivals, 2_000),
  };
}

interface Ctx {
  kafka: Kafka;
  producer: Producer;
}

/**
 * Fresh topics, a response collector and a load producer for one phase; all torn down (and the
 * topics deleted) afterwards. The producer is per phase: a kafkajs producer keeps refreshing
 * metadata for every topic it ever sent to, and fails once one of them is deleted.
 */
async function withTopics<T>(kafka: Kafka, prefix: string, fn: (topics: BenchTopics, collector: ResponseCollector, ctx: Ctx) => Promise<T>): Promise<T> {
  const topics = uniqueTopics(prefix);
  await createTopics(kafka, topics.all, CONFIG.partitions);
  const producer = await connectLoadProducer(kafka);
  const collector = await new ResponseCollector(kafka, topics.responses).start();
  try {
    return await fn(topics, collector, { kafka, producer });
  } finally {
    await collector.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await deleteTopics(kafka, topics.all);
  }
}

function routerEnv(brokers: string[], topics: BenchTopics, routingTable: string, extra: Record<string, string> = {}): Record<string, string> {
  return { KAFKA_BROKERS: brokers.join(','), ROUTING_TABLE: routingTable, KAFKA_TOPIC_PARTITIONS: String(CONFIG.partitions), ...topics.routerEnv, ...extra };
}

async function pacedPhase(ctx: Ctx, sim: SimProcess, router: Pick<Target, 'child' | 'loopStats'>, topics: BenchTopics, collector: ResponseCollector, rate: number, name = 'router'): Promise<PacedResult> {
  const label = `${name} paced ${rate}/s`;
  const sent = new Map<string, SentInfo>();
  const prefix = `p${rate}`;
  const { lastSeq: simSeqBefore } = await sim.calls(Number.MAX_SAFE_INTEGER);
  const total = Math.round(rate * CONFIG.pacedSeconds);
  let n = 0;
  let sendErrors = 0;
  const stop = progress(label, () => n, () => [...sent.keys()].reduce((c, k) => c + (collector.received.has(k) ? 1 : 0), 0));
  await router.loopStats?.();
  const cpu = cpuOf(router, sim);
  const routerCpu0 = cpuSeconds(router.child.pid);
  const started = performance.now();
  while (n < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate)) - n;
    if (due > 0) {
      const messages = Array.from({ length: due }, (_, i) => requestMessage(`${prefix}-${n + i}`, sent));
      n += due;
      void ctx.producer.send({ topic: topics.requests, messages, acks: -1 }).catch((err: Error) => {
        if (sendErrors === 0) log(`[${label}] produce failed: ${err.message}`);
        sendErrors += messages.length;
      });
    }
    await sleep(1);
  }
  const sendSeconds = (performance.now() - started) / 1000;
  const keys = [...sent.keys()];
  const backlogAtSendEnd = keys.reduce((c, k) => c + (collector.received.has(k) ? 0 : 1), 0);
  const deadline = Date.now() + 20_000;
  while (keys.some((k) => !collector.received.has(k)) && Date.now() < deadline) await sleep(50);
  const cpuCores = cpu();
  const perResponse = cpuPerResponse(routerCpu0, router.child.pid, keys.filter((k) => collector.received.has(k)).length);
  const loop = await router.loopStats?.();
  stop();
  await sleep(200);
  const { calls } = await sim.calls(simSeqBefore);
  const callById = new Map(calls.filter((c) => c.requestId).map((c) => [c.requestId!, c]));
  const warmupEnd = Math.floor(rate * CONFIG.pacedWarmupSeconds);
  const e2e: number[] = [];
  const simMs: number[] = [];
  const added: number[] = [];
  const kafkaTs: number[] = [];
  const routeMs: number[] = [];
  const routeOverhead: number[] = [];
  const inbound: number[] = [];
  const routerAfter: number[] = [];
  const outbound: number[] = [];
  let failed = 0;
  let received = 0;
  keys.forEach((id, i) => {
    const r = collector.received.get(id);
    if (!r) return;
    received++;
    if (r.status !== 'ok') failed++;
    if (i < warmupEnd) return;
    const s = sent.get(id)!;
    const call = callById.get(id);
    const sim = call?.latencyMs ?? 0;
    const total = r.receivedAt - s.sentAt;
    e2e.push(total);
    simMs.push(sim);
    added.push(total - sim);
    kafkaTs.push(r.recordTs - s.recordTs - sim);
    routeMs.push(r.routeMs);
    routeOverhead.push(r.routeMs - sim);
    if (call) {
      inbound.push(call.at - s.recordTs);
      routerAfter.push(r.recordTs - (call.at + sim));
      outbound.push(r.receivedAt - r.recordTs);
    }
  });
  const p50 = (v: number[]) => summarize(v).p50;
  const p99 = (v: number[]) => summarize(v).p99;
  const result: PacedResult = {
    targetRate: rate,
    seconds: CONFIG.pacedSeconds,
    sent: n - sendErrors,
    received,
    failed,
    achievedSendRate: Math.round(n / sendSeconds),
    measured: e2e.length,
    e2eMs: summarize(e2e),
    simHandlingMs: summarize(simMs),
    addedMs: summarize(added),
    kafkaTsInRouterMs: summarize(kafkaTs),
    routerRouteMs: summarize(routeMs),
    routerOverheadInRouteMs: summarize(routeOverhead),
    breakdownP50Ms: { inbound: p50(inbound), provider: p50(simMs), routerAfterProvider: p50(routerAfter), outbound: p50(outbound) },
    breakdownP99Ms: { inbound: p99(inbound), provider: p99(simMs), routerAfterProvider: p99(routerAfter), outbound: p99(outbound) },
    cpuCores,
    routerCpuMsPerResponse: perResponse.routerCpuMsPerResponse,
    backlogAtSendEnd,
    saturated: backlogAtSendEnd > rate * 0.1,
    ...(loop ? { routerLoop: loop } : {}),
  };
  log(
    `[${label}] done${result.saturated ? ` (SATURATED: the ${name} fell behind this load)` : ''}: sent=${result.sent} received=${received} added p50=${result.addedMs.p50} ms p99=${result.addedMs.p99} ms ` +
      `(e2e p50=${result.e2eMs.p50}, sim p50=${result.simHandlingMs.p50}, kafka-ts in-router p50=${result.kafkaTsInRouterMs.p50})`,
  );
  return result;
}

function routerNodeArgs(profileName?: string): string[] {
  // Node/V8 flags NODE_OPTIONS refuses (e.g. --single-threaded-gc) go on the command line.
  const extra = (process.env.BENCH_ROUTER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args: string[] = ['-r', join(REPO_ROOT, 'dist/bench/support/loop-stats-preload.js'), ...extra];
  if (CONFIG.kafkajsMaxWaitMs !== undefined) args.push('-r', join(REPO_ROOT, 'dist/bench/support/kafkajs-max-wait-preload.js'));
  if (profileName) {
    mkdirSync(join(CONFIG.outDir, 'profiles'), { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${join(CONFIG.outDir, 'profiles')}`, `--cpu-prof-name=${profileName}`);
  }
  return args;
}

/** The OTLP sink the routers export to when BENCH_OTEL=1 (started in main). */
let otlpSink: OtlpSink | undefined;

function routerExtraEnv(extra: Record<string, string> = {}): Record<string, string> {
  const otel: Record<string, string> = CONFIG.otel ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlpSink!.url } : { OTEL_SDK_DISABLED: 'true' };
  const nodeOptions: Record<string, string> = process.env.BENCH_ROUTER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_ROUTER_NODE_OPTIONS } : {};
  return { ROUTER_DRAIN_TIMEOUT_MS: '3000', ...otel, ...nodeOptions, ...(CONFIG.kafkajsMaxWaitMs !== undefined ? { BENCH_KAFKAJS_MAX_WAIT_MS: String(CONFIG.kafkajsMaxWaitMs) } : {}), ...extra };
}

/** (a1) Drain a backlog: everything is produced before the router starts. */
async function drainPhase(kafka: Kafka, brokers: string[], sim: SimProcess, table: string): Promise<{ drain: ThroughputResult; routerStartupS: number; profile?: ProfileSummary }> {
  return withTopics(kafka, 'drain', async (topics, collector, ctx) => {
    const sent = new Map<string, SentInfo>();
    const drainIds = ids('d', CONFIG.requests);
    const produced = { n: 0 };
    log(`[drain] producing a backlog of ${CONFIG.requests} requests to ${topics.requests} (${CONFIG.partitions} partitions), router not running`);
    const produce = await produceAll(ctx.producer, topics.requests, drainIds, sent, produced);
    log(`[drain] backlog produced in ${produce.seconds}s (${produce.rate} req/s); starting the router`);
    await sim.resetPeak();
    const bootAt = nowMs();
    const profileName = 'router-drain.cpuprofile';
    const router = await startRouter({ env: routerEnv(brokers, topics, table, routerExtraEnv()), cpus: CONFIG.routerCpus, nodeArgs: routerNodeArgs(CONFIG.profile ? profileName : undefined) });
    try {
      const readyAt = nowMs();
      const routerStartupS = round((readyAt - bootAt) / 1000, 2);
      log(`[drain] router ready in ${routerStartupS}s (pid ${router.child.pid}); draining (cap ${CONFIG.phaseCapS}s)`);
      const stop = progress('drain', () => produced.n, () => collector.count);
      const cpu = cpuOf(router, sim);
      const routerCpu0 = cpuSeconds(router.child.pid);
      const drained = await collector.waitFor(drainIds.length, CONFIG.phaseCapS * 1000);
      const cpuCores = cpu();
      const perResponse = cpuPerResponse(routerCpu0, router.child.pid, collector.count);
      stop();
      if (!drained) log(`[drain] NOT DRAINED: ${collector.count}/${drainIds.length} responses within the ${CONFIG.phaseCapS}s cap`);
      const simStats = await sim.stats();
      const routerStats = await routerTransportStats(router);
      const drain: ThroughputResult = {
        ...throughputOf(drainIds, collector, readyAt),
        capS: CONFIG.phaseCapS,
        complete: drained,
        cpuCores,
        ...perResponse,
        produce,
        simPeakInFlight: simStats.peakInFlight,
        routerPeakInFlight: (routerStats?.peakInFlight as number | undefined) ?? null,
      };
      log(`[drain] ${drain.received} responses, ${drain.responsesPerS} resp/s first→last (${drain.firstToLastS}s), best 2s window ${drain.peak2sPerS}/s`);
      await stopRouter(router, 15_000);
      let profile: ProfileSummary | undefined;
      if (CONFIG.profile) {
        const file = join(CONFIG.outDir, 'profiles', profileName);
        profile = { ...summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), 30), file };
      }
      return { drain, routerStartupS, profile };
    } finally {
      await stopRouter(router, 15_000);
    }
  });
}

/**
 * (a3) paced loads on an idle target, then (a2) produce as fast as possible while it consumes. The
 * target is the router, or (the physical-limit reference) the bare Kafka echo.
 */
async function pacedAndSteadyPhases(kafka: Kafka, name: string, sim: SimProcess, start: (topics: BenchTopics) => Promise<Target>): Promise<{ paced: PacedResult[]; steady: ThroughputResult }> {
  return withTopics(kafka, name === 'router' ? 'steady' : name, async (topics, collector, ctx) => {
    const router = await start(topics);
    try {
      log(`${name} ready (pid ${router.child.pid}) on ${topics.requests}`);
      if (CONFIG.routerWarmup > 0) {
        // A router that has served for a while runs JIT-compiled code; a fresh one spends its first
        // few thousand requests compiling (the first paced phase measured ~1.8× the CPU per request
        // of the same phase run again). Not counted anywhere.
        const warmIds = ids('warm', CONFIG.routerWarmup);
        const before = collector.count;
        await produceAll(ctx.producer, topics.requests, warmIds, new Map(), { n: 0 });
        const warmed = await collector.waitFor(before + warmIds.length, 60_000);
        log(`${name} warmed up with ${warmIds.length} requests${warmed ? '' : ' (not all answered within 60 s)'}`);
      }
      const paced: PacedResult[] = [];
      for (const rate of CONFIG.pacedRates) {
        await sleep(500);
        paced.push(await pacedPhase(ctx, sim, router, topics, collector, rate, name));
      }
      await sleep(500);
      await sim.resetPeak();
      const sent = new Map<string, SentInfo>();
      const steadyIds = ids('s', CONFIG.requests);
      const steadySent = { n: 0 };
      const before = collector.count;
      const label = `${name} steady`;
      const stop = progress(label, () => steadySent.n, () => collector.count - before);
      const steadyStart = nowMs();
      const cpu = cpuOf(router, sim);
      const routerCpu0 = cpuSeconds(router.child.pid);
      const produce = await produceAll(ctx.producer, topics.requests, steadyIds, sent, steadySent);
      log(`[${label}] ${CONFIG.requests} requests produced in ${produce.seconds}s (${produce.rate} req/s) while the ${name} consumes (cap ${CONFIG.phaseCapS}s)`);
      const done = await collector.waitFor(before + steadyIds.length, CONFIG.phaseCapS * 1000 - (nowMs() - steadyStart));
      const cpuCores = cpu();
      const perResponse = cpuPerResponse(routerCpu0, router.child.pid, collector.count - before);
      stop();
      if (!done) log(`[${label}] NOT DRAINED: ${collector.count - before}/${steadyIds.length} responses within the ${CONFIG.phaseCapS}s cap`);
      const simStats = await sim.stats();
      const steady: ThroughputResult = {
        ...throughputOf(steadyIds, collector, steadyStart),
        capS: CONFIG.phaseCapS,
        complete: done,
        cpuCores,
        ...perResponse,
        produce,
        simPeakInFlight: simStats.peakInFlight,
        routerPeakInFlight: await router.peakInFlight(),
      };
      log(`[${label}] ${steady.received} responses, ${steady.responsesPerS} resp/s first→last (${steady.firstToLastS}s), best 2s window ${steady.peak2sPerS}/s, CPU ${steady.routerCpuMsPerResponse} ms per response`);
      return { paced, steady };
    } finally {
      await router.stop();
    }
  });
}

/** The bare Kafka echo (echo-process.ts) on these topics, with the router's environment. */
async function startEcho(brokers: string[], topics: BenchTopics, table: string): Promise<Target> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/bench/throughput/echo-process.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...routerEnv(brokers, topics, table, routerExtraEnv()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo not ready within 60 s:\n${text}`)), 60_000);
    child.stdout.on('data', () => {
      if (text.includes('echo ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`echo exited before ready:\n${text}`));
    });
  });
  return {
    child,
    peakInFlight: async () => null,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The bare SDK call loop (sdk-loop-process.ts) against the same simulator. */
function sdkLoop(sim: SimProcess): SdkLoopResult {
  const calls = CONFIG.quick ? 5_000 : 15_000;
  const concurrency = 32;
  const out = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/bench/throughput/sdk-loop-process.js'), sim.url, String(calls), String(concurrency), '2000'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, BENCH_SIM_MODEL: CONFIG.simModel },
    timeout: 120_000,
  });
  if (out.status !== 0) throw new Error(`sdk loop failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as SdkLoopResult;
}

async function instantPhases(kafka: Kafka, brokers: string[]): Promise<InstantResults> {
  const sim = await startSimProcess(simConfig(900), 0);
  log(`provider-sim (instant, latencyScale 0) on ${sim.url}`);
  const table = writeRoutingTable(sim.url, [ARM]);
  try {
    const { drain, routerStartupS, profile } = await drainPhase(kafka, brokers, sim, table);
    const { paced, steady } = await pacedAndSteadyPhases(kafka, 'router', sim, async (topics) =>
      routerTarget(await startRouter({ env: routerEnv(brokers, topics, table, routerExtraEnv()), cpus: CONFIG.routerCpus, nodeArgs: routerNodeArgs(CONFIG.profileSteady ? 'router-steady.cpuprofile' : undefined) })),
    );
    // The physical-limit reference, same run, broker and simulator: the bare Kafka echo through the
    // same phases, then the bare SDK call loop.
    const echo = await pacedAndSteadyPhases(kafka, 'echo', sim, (topics) => startEcho(brokers, topics, table));
    const sdk = sdkLoop(sim);
    log(`[sdk loop] ${sdk.calls} calls at concurrency ${sdk.concurrency}: ${sdk.callsPerS} calls/s, ${sdk.cpuMsPerCall} ms CPU per call, ${sdk.failed} failed`);
    return { drain, steady, paced, routerStartupS, profile, reference: { echo, sdk } };
  } finally {
    await sim.close();
  }
}

async function slowPhase(kafka: Kafka, brokers: string[], sim: SimProcess, table: string, maxInFlight: number): Promise<SlowResult> {
  const label = `2s-latency in-flight ${maxInFlight}`;
  return withTopics(kafka, `slow${maxInFlight}`, async (topics, collector, ctx) => {
    const backlog = Math.ceil(maxInFlight * (CONFIG.slowWindowS / 2 + 3));
    const sent = new Map<string, SentInfo>();
    const keys = ids(`w${maxInFlight}`, backlog);
    const produced = { n: 0 };
    await produceAll(ctx.producer, topics.requests, keys, sent, produced);
    await sim.resetPeak();
    log(`[${label}] backlog of ${backlog} produced; starting the router with ROUTER_MAX_IN_FLIGHT=${maxInFlight}`);
    const router = await startRouter({ env: routerEnv(brokers, topics, table, routerExtraEnv({ ROUTER_MAX_IN_FLIGHT: String(maxInFlight) })), cpus: CONFIG.routerCpus, nodeArgs: routerNodeArgs() });
    try {
      const stop = progress(label, () => produced.n, () => collector.count);
      await collector.waitFor(1, 30_000);
      const first = Math.min(...[...collector.received.values()].map((r) => r.receivedAt));
      const windowEnd = first + CONFIG.slowWindowS * 1000;
      const cpu = cpuOf(router, sim);
      while (nowMs() < windowEnd + 300) await sleep(100);
      const cpuCores = cpu();
      stop();
      const simStats = await sim.stats();
      const routerStats = await routerTransportStats(router);
      let inWindow = 0;
      let failed = 0;
      const e2e: number[] = [];
      for (const [id, r] of collector.received) {
        if (r.receivedAt < first || r.receivedAt >= windowEnd) continue;
        inWindow++;
        if (r.status !== 'ok') failed++;
        e2e.push(r.receivedAt - sent.get(id)!.sentAt);
      }
      const result: SlowResult = {
        maxInFlight,
        backlog,
        windowS: CONFIG.slowWindowS,
        sustainedPerS: Math.round(inWindow / CONFIG.slowWindowS),
        receivedInWindow: inWindow,
        failedInWindow: failed,
        simPeakInFlight: simStats.peakInFlight,
        routerPeakInFlight: (routerStats?.peakInFlight as number | undefined) ?? null,
        theoreticalPerS: Math.round(maxInFlight / (CONFIG.slowLatencyMs / 1000)),
        e2eMs: summarize(e2e, 0),
        cpuCores,
      };
      log(`[${label}] sustained ${result.sustainedPerS} resp/s over ${CONFIG.slowWindowS}s, sim peak in-flight ${result.simPeakInFlight}, router peak in-flight ${result.routerPeakInFlight}`);
      return result;
    } finally {
      await stopRouter(router, 15_000);
    }
  });
}

async function slowPhases(kafka: Kafka, brokers: string[]): Promise<SlowResult[]> {
  const sim = await startSimProcess(simConfig(CONFIG.slowLatencyMs), 1);
  log(`provider-sim (latency ${CONFIG.slowLatencyMs} ms fixed: medianMs = p95Ms = ${CONFIG.slowLatencyMs}) on ${sim.url}`);
  const table = writeRoutingTable(sim.url, [ARM]);
  try {
    const out: SlowResult[] = [];
    for (const c of CONFIG.slowInFlight) out.push(await slowPhase(kafka, brokers, sim, table, c));
    return out;
  } finally {
    await sim.close();
  }
}

function git(args: string[]): string {
  const out = spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : 'unknown';
}

function kafkajsVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'kafkajs', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Issue 14's targets (the 2-second-provider goal is issue 2's and is skipped by --quick). */
function goalsOf(instant: InstantResults, slow: SlowResult[]): Goal[] {
  const steadyRate = instant.steady.responsesPerS;
  const cpuMs = instant.steady.routerCpuMsPerResponse;
  const at1000 = instant.paced.find((p) => p.targetRate === 1_000);
  const s512 = slow.find((s) => s.maxInFlight === 512) ?? slow[0];
  const goals: Goal[] = [
    { goal: 'throughput, instant provider, steady state', target: '≥ 3,000 req/s per instance', measured: `${steadyRate} req/s (drain: ${instant.drain.responsesPerS})`, met: steadyRate >= 3000 },
    { goal: 'router CPU per request, steady state', target: '≤ 0.3 ms', measured: cpuMs === null ? 'n/a' : `${cpuMs} ms (drain: ${instant.drain.routerCpuMsPerResponse} ms)`, met: cpuMs !== null && cpuMs <= 0.3 },
    {
      goal: 'added latency through Kafka at 1,000 req/s',
      target: 'p50 < 3 ms, p99 < 20 ms',
      measured: at1000 ? `p50 ${at1000.addedMs.p50} ms, p99 ${at1000.addedMs.p99} ms${at1000.saturated ? ' (saturated)' : ''}` : 'n/a (no 1,000 req/s paced phase: set BENCH_PACED_RATES)',
      met: !!at1000 && at1000.addedMs.p50 < 3 && at1000.addedMs.p99 < 20,
    },
  ];
  const ref = referenceBreakdown(instant);
  if (ref) {
    const own = ref.cpuMsPerRequest.ownShare;
    goals.push({
      goal: "router's own CPU per request beyond the bare Kafka echo and the bare SDK call (issue 22)",
      target: '≤ 0.1 ms',
      measured: own === null ? 'n/a' : `${own} ms (router ${ref.cpuMsPerRequest.router} = echo ${ref.cpuMsPerRequest.echo} + SDK call ${ref.cpuMsPerRequest.providerCall} + own ${own})`,
      met: own !== null && own <= 0.1,
    });
  }
  if (s512) {
    goals.push({
      goal: 'throughput, 2 s provider latency (ROUTER_MAX_IN_FLIGHT=512)',
      target: '≥ 200 req/s, ≥ 400 in flight',
      measured: `${s512.sustainedPerS} req/s, ${s512.simPeakInFlight} in flight`,
      met: s512.sustainedPerS >= 200 && s512.simPeakInFlight >= 400,
    });
  }
  return goals;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  log(`switchyard throughput bench: node ${process.version}, ${cpus().length} CPUs (router, broker, simulator and load generator share them)`);
  const loadAtStart = loadavg().map((v) => round(v, 2));
  if (loadAtStart[0] > 0.5) log(`note: the machine is already busy (load average ${loadAtStart.join(' ')}); other processes compete for the same CPUs — see the "other processes" CPU column`);
  let broker: BrokerHandle | undefined;
  let exitCode = 0;
  try {
    broker = ensureBroker();
    brokerPid = broker.pid;
    if (CONFIG.otel) {
      otlpSink = await startOtlpSink();
      log(`router tracing on: spans exported over OTLP/HTTP to a sink at ${otlpSink.url}`);
    }
    const kafka = benchKafka(broker.brokers);
    if (broker.started && CONFIG.brokerWarmupS > 0) {
      log(`warming the broker it just started (${CONFIG.brokerWarmupS} s of produce/consume on a scratch topic; BENCH_BROKER_WARMUP_S=0 skips)`);
      const { messages } = await warmBroker(kafka, CONFIG.brokerWarmupS, CONFIG.partitions);
      log(`broker warmed with ${messages} messages`);
    }
    {
      const instant = await instantPhases(kafka, broker.brokers);
      const slow = CONFIG.quick ? [] : await slowPhases(kafka, broker.brokers);
      const finishedAt = new Date();
      const goals = goalsOf(instant, slow);
      const results = {
        benchmark: 'switchyard router throughput (issue 2)',
        command: [
          ...Object.entries(process.env)
            .filter(([k]) => k.startsWith('BENCH_') || k === 'KAFKA_BROKERS')
            .map(([k, v]) => `${k}=${v}`),
          'npm run bench:throughput',
        ].join(' '),
        variant: [
          CONFIG.kafkajsMaxWaitMs === undefined
            ? 'router as built from the working tree'
            : `WHAT-IF: router with kafkajs consumer maxWaitTimeInMs=${CONFIG.kafkajsMaxWaitMs} injected by bench/support/kafkajs-max-wait-preload (apps/ unchanged)`,
          CONFIG.otel ? 'OpenTelemetry SDK on' : 'OpenTelemetry SDK off (OTEL_SDK_DISABLED=true)',
          ...(CONFIG.profile ? ['router under node --cpu-prof (rates perturbed)'] : []),
          ...(CONFIG.routerCpus ? [`router pinned to CPU(s) ${CONFIG.routerCpus} (taskset -c)`] : []),
          ...(process.env.BENCH_ROUTER_NODE_ARGS ? [`router node flags: ${process.env.BENCH_ROUTER_NODE_ARGS}`] : []),
        ].join('; '),
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationS: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
        environment: {
          node: process.version,
          platform: `${process.platform} ${process.arch}`,
          cpuCount: cpus().length,
          cpuModel: cpus()[0]?.model ?? 'unknown',
          totalMemoryGb: round(totalmem() / 2 ** 30, 1),
          kafkaVersion: broker.kafkaVersion,
          kafkaSource: broker.source,
          kafkaStartedByBench: broker.started,
          kafkaJvmOpts: broker.jvmOpts,
          kafkajs: kafkajsVersion(),
          loadAverageAtStart: loadAtStart,
          loadAverageAtEnd: loadavg().map((v) => round(v, 2)),
          gitCommit: git(['rev-parse', 'HEAD']),
          gitUncommittedFiles: git(['status', '--porcelain']).split('\n').filter(Boolean).length,
          note: 'single machine, loopback only: the router, the Kafka broker, the provider simulator and the load generator/collector share all CPUs',
        },
        config: { ...CONFIG, arm: ARM, routerDefaults: { ROUTER_MAX_IN_FLIGHT: 256, ROUTER_PARTITIONS_CONCURRENCY: 32, ROUTER_COMMIT_INTERVAL_MS: 200 } },
        results: { instant, slow },
        goals,
      };
      mkdirSync(CONFIG.outDir, { recursive: true });
      const base = [
        'throughput',
        CONFIG.kafkajsMaxWaitMs === undefined ? '' : `-whatif-kafkajs-maxwait-${CONFIG.kafkajsMaxWaitMs}ms`,
        CONFIG.profile ? '-profiled' : '',
        CONFIG.otel ? '-otel' : '',
        CONFIG.routerCpus ? `-pinned-${CONFIG.routerCpus.replace(/[^0-9]+/g, '_')}` : '',
        CONFIG.quick ? '-quick' : '',
      ].join('');
      writeFileSync(join(CONFIG.outDir, `${base}.json`), JSON.stringify(results, null, 2) + '\n');
      writeFileSync(join(CONFIG.outDir, `${base}.md`), renderMarkdown(results));
      log(`wrote ${join(CONFIG.outDir, base)}.json and .md (${results.durationS}s)`);
      for (const g of goals) log(`goal ${g.met ? 'MET    ' : 'NOT MET'} ${g.goal}: ${g.target}; measured ${g.measured}`);
      const ref = referenceBreakdown(instant);
      if (ref) {
        log(`against the bare Kafka echo: throughput ${ref.throughput.router}/${ref.throughput.echo} = ${ref.throughput.ratio}×; ${ref.addedLatency.map((a) => `added at ${a.rate}/s p50 ${a.router.p50}/${a.echo.p50} ms = ${a.ratio.p50}×, p99 ${a.router.p99}/${a.echo.p99} ms = ${a.ratio.p99}×`).join('; ')}`);
        const c = ref.cpuMsPerRequest;
        log(`router CPU per request ${c.router} ms = echo ${c.echo} + SDK call ${c.providerCall} + own share ${c.ownShare}`);
      }
      const cpuMs = instant.steady.routerCpuMsPerResponse;
      log(`router CPU per request: drain ${instant.drain.routerCpuMsPerResponse} ms, steady state ${cpuMs} ms, paced ${instant.paced.map((p) => `${p.targetRate}/s ${p.routerCpuMsPerResponse} ms`).join(', ')}`);
      if (CONFIG.quick && CONFIG.maxCpuMs !== undefined && (cpuMs === null || cpuMs > CONFIG.maxCpuMs)) {
        log(`GUARD FAILED: steady-state router CPU per request ${cpuMs} ms > BENCH_MAX_CPU_MS=${CONFIG.maxCpuMs}`);
        exitCode = 3;
      }
    }
  } catch (err) {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    exitCode = 1;
  } finally {
    await otlpSink?.close();
    broker?.stop();
  }
  process.exit(exitCode);
}

if (require.main === module) void main();
