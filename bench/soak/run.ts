// Soak test (issue 7): sustained paced load through 3 router replicas (STATE_BACKEND=redis, a tenant
// budget) with periodic chaos, one line per interval, and at the end a count of lost and duplicated
// requests. Not a unit test: it measures and reports.
//
//   npm run bench:soak -- --minutes 10 [--rate 100] [--chaos-every 60] [--interval 10]
//                         [--session-timeout-ms 3000] [--heartbeat-ms 1000]
//
// A session below 6 s needs a broker whose group.min.session.timeout.ms allows it: the broker this
// script starts does (infra/kafka.sh sets 1 s); with KAFKA_BROKERS naming a stock broker, pass
// --session-timeout-ms 6000 or more.
//
// It starts its own Kafka (infra/kafka.sh on 39192/39193 or KAFKA_PORT/KAFKA_CONTROLLER_PORT, run dir
// .infra/kafka-soak) unless KAFKA_BROKERS is set, its own Redis (infra/redis.sh on 36390 or
// REDIS_PORT, .infra/redis-soak), the provider
// simulator (own process) and 3 routers; it stops everything it started, also on Ctrl-C.
// Chaos, every --chaos-every seconds, in turn: kill -9 a replica (restarted 5 s later), a 20 s
// outage of the primary model, a 20 s latency spike (×8) on every model, a 20 s 429 storm on the
// primary model. Results: bench/results/soak.json and soak.md (BENCH_OUT to change the folder).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { REPO_ROOT, nowMs, sleep } from '../support/env';
import { ensureBroker, type BrokerHandle } from '../support/kafka-broker';
import { benchKafka, consumeFromBeginning, createTopics, uniqueTopics } from '../support/kafka-io';
import { startRouter, stopRouter, type RouterProcess } from '../support/router-process';
import { startSimProcess, type SimProcess } from '../support/sim-process';
import { percentile, round } from '../support/stats';
import { silenceTimeoutNegativeWarning } from '../support/quiet-warnings';

silenceTimeoutNegativeWarning();

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number (got ${raw})`);
  return value;
}

const CONFIG = {
  minutes: arg('minutes', 10),
  rate: arg('rate', 100),
  chaosEveryS: arg('chaos-every', 60),
  intervalS: arg('interval', 10),
  replicas: 3,
  partitions: 6,
  drainS: 40,
  chaosWindowS: 20,
  restartAfterS: 5,
  /** The routers' KAFKA_SESSION_TIMEOUT_MS / KAFKA_HEARTBEAT_INTERVAL_MS: how soon a killed replica's partitions move. */
  sessionTimeoutMs: arg('session-timeout-ms', 3_000),
  heartbeatIntervalMs: arg('heartbeat-ms', 1_000),
  redisPort: Number(process.env.REDIS_PORT ?? 36390),
  kafkaPort: Number(process.env.KAFKA_PORT ?? 39192),
  kafkaControllerPort: Number(process.env.KAFKA_CONTROLLER_PORT ?? Number(process.env.KAFKA_PORT ?? 39192) + 1),
  tenant: 'soak',
  tenantBudgetPerHourUsd: 50,
  primary: 'sim-mini',
  secondary: 'sim-4o',
};
const OUT = process.env.BENCH_OUT ?? join(REPO_ROOT, 'bench', 'results');
const log = (line: string) => process.stdout.write(`${line}\n`);
/** Seconds since the load started (the interval lines' time base); since the script started before. */
let clockBase = Date.now();
const clock = () => `${String(Math.round((Date.now() - clockBase) / 1000)).padStart(5)} s`;

// ---------------------------------------------------------------- infrastructure

function redisSh(cmd: 'start' | 'stop' | 'status'): number {
  const env = { ...process.env, REDIS_PORT: String(CONFIG.redisPort), REDIS_RUN_DIR: join(REPO_ROOT, '.infra', 'redis-soak') };
  const r = spawnSync('bash', [join(REPO_ROOT, 'infra', 'redis.sh'), cmd], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return r.status ?? 1;
}

const SIM_MODELS = [
  { name: CONFIG.primary, api: 'openai' as const, contextWindow: 128_000, maxOutputTokens: 16_384, outputTokens: 120, latency: { medianMs: 60, p95Ms: 150 }, faults: {} },
  { name: CONFIG.secondary, api: 'openai' as const, contextWindow: 128_000, maxOutputTokens: 16_384, outputTokens: 120, latency: { medianMs: 90, p95Ms: 220 }, faults: {} },
];

function writeTable(simUrl: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'switchyard-soak-')), 'routing.yaml');
  const arm = (id: string, model: string, inP: number, outP: number) => [
    `  - id: ${id}`,
    '    provider: sim',
    `    model: ${model}`,
    `    pricing: { inputPer1M: ${inP}, outputPer1M: ${outP} }`,
    '    contextWindow: 128000',
    '    maxOutputTokens: 4096',
    '    timeouts: { connectMs: 1000, totalMs: 5000 }',
  ];
  writeFileSync(
    path,
    [
      'providers:',
      `  sim: { kind: openai, baseUrl: ${simUrl}/openai/v1 }`,
      'arms:',
      ...arm('primary-mini', CONFIG.primary, 0.15, 0.6),
      ...arm('secondary-4o', CONFIG.secondary, 2.5, 10),
      'budgets:',
      `  tenants:`,
      `    ${CONFIG.tenant}: { hour: ${CONFIG.tenantBudgetPerHourUsd} }`,
    ].join('\n') + '\n',
  );
  return path;
}

async function patchModel(sim: SimProcess, model: string, patch: unknown): Promise<void> {
  const res = await fetch(`${sim.url}/_sim/models/${model}?api=openai`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
  if (!res.ok) throw new Error(`PATCH /_sim/models/${model}: HTTP ${res.status}`);
}

// ---------------------------------------------------------------- responses

interface Seen {
  firstAt: number;
  bodies: Set<string>;
  records: number;
  status: string;
  errorKind?: string;
  costUsd: number;
}

class Responses {
  readonly byId = new Map<string, Seen>();
  private consumer: Consumer | undefined;
  constructor(private readonly kafka: Kafka, private readonly topic: string, private readonly onFirst: (id: string, seen: Seen) => void) {}

  async start(): Promise<void> {
    this.consumer = await consumeFromBeginning(this.kafka, this.topic, { groupId: `soak-collector-${Date.now()}`, maxWaitTimeInMs: 200 }, async ({ batch }) => {
      const at = nowMs();
      for (const m of batch.messages) {
        const id = m.key?.toString() ?? '';
        const value = m.value ?? Buffer.alloc(0);
        const hash = createHash('sha1').update(value).digest('hex');
        const seen = this.byId.get(id);
        if (seen) {
          seen.records++;
          seen.bodies.add(hash);
          continue;
        }
        const json = JSON.parse(value.toString()) as { status: string; error?: { kind: string }; usage?: { costUsd?: number } };
        const first: Seen = { firstAt: at, bodies: new Set([hash]), records: 1, status: json.status, errorKind: json.error?.kind, costUsd: json.usage?.costUsd ?? 0 };
        this.byId.set(id, first);
        this.onFirst(id, first);
      }
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number | undefined> {
  try {
    const [ends, groups] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const committed = new Map<number, number>();
    for (const p of groups.find((g) => g.topic === topic)?.partitions ?? []) committed.set(p.partition, Number(p.offset));
    return ends.reduce((sum, e) => {
      const c = committed.get(e.partition) ?? -1;
      const start = Number(e.low);
      return sum + Math.max(0, Number(e.high) - (c >= 0 ? c : start));
    }, 0);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- kill -9 gap

/** Requests sent this long after a kill -9 are the ones its gap can delay (session timeout + rebalance). */
const KILL_WINDOW_S = 15;

interface KillGap {
  /** Seconds after the load started. */
  t: number;
  sent: number;
  /** The longest any of them waited for its answer: the gap the kill opened. */
  maxMs: number | null;
  p95Ms: number | null;
  over1s: number;
  unanswered: number;
}

/** What a kill -9 at `at` cost the requests sent in the KILL_WINDOW_S after it. */
function killGap(at: number, loadStart: number, sentAt: Map<string, number>, answered: Map<string, Seen>): KillGap {
  const waits: number[] = [];
  let unanswered = 0;
  for (const [id, t0] of sentAt) {
    if (t0 < at || t0 >= at + KILL_WINDOW_S * 1000) continue;
    const seen = answered.get(id);
    if (seen) waits.push(seen.firstAt - t0);
    else unanswered++;
  }
  waits.sort((a, b) => a - b);
  return {
    t: Math.round((at - loadStart) / 1000),
    sent: waits.length + unanswered,
    maxMs: waits.length ? round(waits[waits.length - 1], 0) : null,
    p95Ms: waits.length ? round(percentile(waits, 95), 0) : null,
    over1s: waits.filter((w) => w > 1_000).length,
    unanswered,
  };
}

// ---------------------------------------------------------------- main

interface IntervalRow {
  t: number;
  sent: number;
  answeredPerS: number;
  p95Ms: number | null;
  lag: number | null;
  errors: Record<string, number>;
  spendUsd: number;
  replicasUp: number;
  chaos: string;
}

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<void> | void> = [];
  let cleaning = false;
  const cleanup = async () => {
    if (cleaning) return;
    cleaning = true;
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        process.stderr.write(`soak: cleanup: ${(err as Error).message}\n`);
      }
    }
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));

  try {
    log(`soak: ${CONFIG.minutes} min at ${CONFIG.rate} req/s, ${CONFIG.replicas} replicas (redis state), chaos every ${CONFIG.chaosEveryS} s, a line every ${CONFIG.intervalS} s`);
    const broker: BrokerHandle = ensureBroker({ port: CONFIG.kafkaPort, controllerPort: CONFIG.kafkaControllerPort, runDir: join(REPO_ROOT, '.infra', 'kafka-soak') });
    cleanups.push(() => broker.stop());
    const redisStarted = redisSh('status') !== 0;
    if (redisStarted) {
      if (redisSh('start') !== 0) throw new Error('infra/redis.sh start failed');
      cleanups.push(() => void redisSh('stop'));
    }
    const redisUrl = `redis://127.0.0.1:${CONFIG.redisPort}`;
    const sim = await startSimProcess({ seed: 7, models: SIM_MODELS, phases: [] } as never, 1);
    cleanups.push(() => sim.close());
    const table = writeTable(sim.url);

    const kafka = benchKafka(broker.brokers);
    const topics = uniqueTopics('soak');
    await createTopics(kafka, topics.all, CONFIG.partitions);
    const routerEnv: Record<string, string> = {
      ...topics.routerEnv,
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_CREATE_TOPICS: 'false',
      KAFKA_SESSION_TIMEOUT_MS: String(CONFIG.sessionTimeoutMs),
      KAFKA_HEARTBEAT_INTERVAL_MS: String(CONFIG.heartbeatIntervalMs),
      ROUTING_TABLE: table,
      STATE_BACKEND: 'redis',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `{${topics.tag}}:`,
      OTEL_SDK_DISABLED: 'true',
    };
    const routers: Array<RouterProcess | undefined> = [];
    cleanups.push(() => Promise.all(routers.map((r) => stopRouter(r, 20_000))).then(() => undefined));
    for (let i = 0; i < CONFIG.replicas; i++) routers.push(await startRouter({ env: { ...routerEnv, KAFKA_CLIENT_ID: `soak-router-${i}` } }));
    log(`soak: ${CONFIG.replicas} routers up (health ports ${routers.map((r) => r!.port).join(', ')}), sim ${sim.url}, redis ${redisUrl}, kafka ${broker.brokers.join(',')}`);

    // Collector and per-interval accounting.
    const sentAt = new Map<string, number>();
    const win = { latencies: [] as number[], answered: 0, errors: {} as Record<string, number> };
    let spend = 0;
    const responses = new Responses(kafka, topics.responses, (id, seen) => {
      const t0 = sentAt.get(id);
      if (t0 !== undefined) win.latencies.push(seen.firstAt - t0);
      win.answered++;
      spend += seen.costUsd;
      if (seen.status !== 'ok') win.errors[seen.errorKind ?? seen.status] = (win.errors[seen.errorKind ?? seen.status] ?? 0) + 1;
    });
    await responses.start();
    cleanups.push(() => responses.stop());
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 4 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());

    // Paced load: a batch every 100 ms; a failed send is retried with the same bytes.
    const durationMs = CONFIG.minutes * 60_000;
    const loadStart = Date.now();
    clockBase = loadStart;
    let seq = 0;
    let sendRetries = 0;
    let loadDone = false;
    const perTick = CONFIG.rate / 10;
    const load = (async () => {
      let owed = 0;
      for (let tick = 0; Date.now() - loadStart < durationMs; tick++) {
        owed += perTick;
        const n = Math.floor(owed);
        owed -= n;
        const messages = Array.from({ length: n }, () => {
          const id = `soak-${++seq}`;
          const body = {
            schemaVersion: 1,
            id,
            tenant: CONFIG.tenant,
            class: 'chat',
            messages: [{ role: 'user', content: `Summarise ticket ${id} in one sentence: the customer cannot log in after resetting the password.` }],
            params: { maxTokens: 200 },
          };
          sentAt.set(id, nowMs());
          return { key: id, value: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
        });
        while (messages.length) {
          try {
            await producer.send({ topic: topics.requests, acks: -1, messages });
            break;
          } catch {
            sendRetries++;
            await sleep(250);
          }
        }
        const due = loadStart + (tick + 1) * 100;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      loadDone = true;
    })();

    // Chaos: one event per period, in turn.
    const chaosLog: Array<{ t: number; event: string }> = [];
    let chaosNow = '';
    const note = (event: string) => {
      chaosLog.push({ t: Math.round((Date.now() - loadStart) / 1000), event });
      chaosNow = chaosNow ? `${chaosNow}; ${event}` : event;
      log(`${clock()} chaos: ${event}`);
    };
    let kills = 0;
    const killedAt: number[] = [];
    const chaosKinds = ['kill-replica', 'outage', 'latency-spike', '429-storm'] as const;
    const chaos = (async () => {
      for (let n = 0; ; n++) {
        const at = loadStart + (n + 1) * CONFIG.chaosEveryS * 1000 - 30_000; // first at 30 s, then every period
        if (at + (CONFIG.chaosWindowS + 5) * 1000 > loadStart + durationMs) return;
        await sleep(Math.max(0, at - Date.now()));
        if (loadDone) return;
        const kind = chaosKinds[n % chaosKinds.length];
        if (kind === 'kill-replica') {
          const i = kills++ % CONFIG.replicas;
          const victim = routers[i]!;
          killedAt.push(Date.now());
          victim.child.kill('SIGKILL');
          await victim.exited;
          routers[i] = undefined;
          note(`kill -9 replica ${i} (pid ${victim.child.pid})`);
          await sleep(CONFIG.restartAfterS * 1000);
          routers[i] = await startRouter({ env: { ...routerEnv, KAFKA_CLIENT_ID: `soak-router-${i}` } });
          note(`replica ${i} restarted`);
        } else if (kind === 'outage') {
          await patchModel(sim, CONFIG.primary, { faults: { outage: true } });
          note(`outage ${CONFIG.primary} for ${CONFIG.chaosWindowS} s`);
          await sleep(CONFIG.chaosWindowS * 1000);
          await patchModel(sim, CONFIG.primary, { faults: { outage: false } });
          note(`${CONFIG.primary} back`);
        } else if (kind === 'latency-spike') {
          await Promise.all(SIM_MODELS.map((m) => patchModel(sim, m.name, { latency: { multiplier: 8 } })));
          note(`latency ×8 on every model for ${CONFIG.chaosWindowS} s`);
          await sleep(CONFIG.chaosWindowS * 1000);
          await Promise.all(SIM_MODELS.map((m) => patchModel(sim, m.name, { latency: { multiplier: 1 } })));
          note('latency back');
        } else {
          await patchModel(sim, CONFIG.primary, { faults: { rate429: 1, retryAfterS: 1 } });
          note(`429 storm on ${CONFIG.primary} for ${CONFIG.chaosWindowS} s`);
          await sleep(CONFIG.chaosWindowS * 1000);
          await patchModel(sim, CONFIG.primary, { faults: { rate429: 0 } });
          note('429 storm over');
        }
      }
    })();

    // A line per interval, through the load and the drain.
    const rows: IntervalRow[] = [];
    log('   time |  sent/s | answered/s | p95 ms |   lag | errors                         | spend $  | up | chaos');
    let lastSent = 0;
    const report = async () => {
      const lag = await groupLag(admin, topics.routerEnv.KAFKA_GROUP_ID, topics.requests);
      const lat = win.latencies.sort((a, b) => a - b);
      const row: IntervalRow = {
        t: Math.round((Date.now() - loadStart) / 1000),
        sent: seq - lastSent,
        answeredPerS: round(win.answered / CONFIG.intervalS, 1),
        p95Ms: lat.length ? round(percentile(lat, 95), 0) : null,
        lag: lag ?? null,
        errors: { ...win.errors },
        spendUsd: round(spend, 4),
        replicasUp: routers.filter((r) => r && r.child.exitCode === null && r.child.signalCode === null).length,
        chaos: chaosNow,
      };
      lastSent = seq;
      rows.push(row);
      win.latencies = [];
      win.answered = 0;
      win.errors = {};
      chaosNow = '';
      const errs = Object.entries(row.errors).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
      log(
        `${String(row.t).padStart(5)} s | ${String(round(row.sent / CONFIG.intervalS, 1)).padStart(7)} | ${String(row.answeredPerS).padStart(10)} | ${String(row.p95Ms ?? '-').padStart(6)} | ${String(row.lag ?? '?').padStart(5)} | ${errs.padEnd(30)} | ${row.spendUsd.toFixed(4).padStart(8)} | ${row.replicasUp}  | ${row.chaos}`,
      );
    };
    while (!loadDone) {
      await sleep(Math.min(CONFIG.intervalS * 1000, Math.max(0, loadStart + (rows.length + 1) * CONFIG.intervalS * 1000 - Date.now())));
      await report();
    }
    await load;
    await chaos;
    const total = seq;
    log(`${clock()} load done: ${total} requests sent (${sendRetries} send retries); draining up to ${CONFIG.drainS} s`);
    const drainUntil = Date.now() + CONFIG.drainS * 1000;
    while (Date.now() < drainUntil) {
      await sleep(2_000);
      if ([...sentAt.keys()].every((id) => responses.byId.has(id))) break;
    }
    await sleep(3_000); // late re-publishes
    await report();

    // Final counts.
    let lost = 0;
    let duplicated = 0;
    let identicalRepublishes = 0;
    let ok = 0;
    const finalErrors: Record<string, number> = {};
    const latencies: number[] = [];
    for (const [id, t0] of sentAt) {
      const seen = responses.byId.get(id);
      if (!seen) {
        lost++;
        continue;
      }
      latencies.push(seen.firstAt - t0);
      if (seen.bodies.size > 1) duplicated++;
      identicalRepublishes += seen.records - seen.bodies.size;
      if (seen.status === 'ok') ok++;
      else finalErrors[seen.errorKind ?? seen.status] = (finalErrors[seen.errorKind ?? seen.status] ?? 0) + 1;
    }
    latencies.sort((a, b) => a - b);
    const finalLag = await groupLag(admin, topics.routerEnv.KAFKA_GROUP_ID, topics.requests);
    const simStats = await sim.stats().catch(() => undefined);
    const kills_ = killedAt.map((at) => killGap(at, loadStart, sentAt, responses.byId));
    for (const k of kills_) log(`soak: kill -9 at ${k.t} s: requests sent in the ${KILL_WINDOW_S} s after it waited up to ${k.maxMs} ms (P95 ${k.p95Ms} ms, ${k.over1s} over 1 s, ${k.unanswered} unanswered)`);
    const result = {
      date: new Date().toISOString(),
      command: `npm run bench:soak -- --minutes ${CONFIG.minutes} --rate ${CONFIG.rate} --chaos-every ${CONFIG.chaosEveryS} --session-timeout-ms ${CONFIG.sessionTimeoutMs} --heartbeat-ms ${CONFIG.heartbeatIntervalMs}`,
      machine: { cpus: cpus().length, node: process.version, kafka: broker.kafkaVersion },
      config: CONFIG,
      totals: {
        sent: total,
        answered: responses.byId.size,
        ok,
        failed: responses.byId.size - ok,
        lost,
        duplicatedDistinctBodies: duplicated,
        byteIdenticalRepublishes: identicalRepublishes,
        errorsByKind: finalErrors,
        spendUsd: round(spend, 4),
        p50Ms: latencies.length ? round(percentile(latencies, 50), 0) : null,
        p95Ms: latencies.length ? round(percentile(latencies, 95), 0) : null,
        p99Ms: latencies.length ? round(percentile(latencies, 99), 0) : null,
        finalLag: finalLag ?? null,
        sendRetries,
        replicaKills: kills,
        providerCalls: simStats?.total ?? null,
      },
      chaos: chaosLog,
      kills: kills_,
      intervals: rows,
    };
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'soak.json'), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(OUT, 'soak.md'), renderMarkdown(result));
    const tt = result.totals;
    log(
      `soak: sent ${tt.sent}, answered ${tt.answered} (ok ${tt.ok}, failed ${tt.failed}), LOST ${tt.lost}, DUPLICATED ${tt.duplicatedDistinctBodies} ` +
        `(byte-identical re-publishes ${tt.byteIdenticalRepublishes}), p50/p95/p99 ${tt.p50Ms}/${tt.p95Ms}/${tt.p99Ms} ms, spend $${tt.spendUsd}, final lag ${tt.finalLag}`,
    );
    log(`soak: wrote ${join(OUT, 'soak.json')} and soak.md`);
    process.exitCode = tt.lost === 0 && tt.duplicatedDistinctBodies === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

function renderMarkdown(r: {
  date: string;
  command: string;
  machine: Record<string, unknown>;
  config: typeof CONFIG;
  totals: Record<string, unknown>;
  chaos: Array<{ t: number; event: string }>;
  kills: KillGap[];
  intervals: IntervalRow[];
}): string {
  const t = r.totals;
  const lines = [
    '# Soak',
    '',
    `\`${r.command}\` — ${r.date}, ${String(r.machine.cpus)} cores, Node ${String(r.machine.node)}, Kafka ${String(r.machine.kafka)}. ` +
      `${r.config.replicas} router replicas (STATE_BACKEND=redis, tenant budget $${r.config.tenantBudgetPerHourUsd}/hour), ${r.config.rate} req/s paced, ` +
      `chaos every ${r.config.chaosEveryS} s (kill -9 a replica and restart it; ${r.config.chaosWindowS} s outage of the primary model; ${r.config.chaosWindowS} s latency ×8; ${r.config.chaosWindowS} s 429 storm).`,
    '',
    '| sent | answered | ok | failed | lost | duplicated (distinct bodies) | byte-identical re-publishes | p50 / p95 / p99 ms | spend USD | final lag |',
    '|---|---|---|---|---|---|---|---|---|---|',
    `| ${String(t.sent)} | ${String(t.answered)} | ${String(t.ok)} | ${String(t.failed)} | ${String(t.lost)} | ${String(t.duplicatedDistinctBodies)} | ${String(t.byteIdenticalRepublishes)} | ${String(t.p50Ms)} / ${String(t.p95Ms)} / ${String(t.p99Ms)} | ${String(t.spendUsd)} | ${String(t.finalLag)} |`,
    '',
    `Failed by kind: ${Object.entries(t.errorsByKind as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}. Send retries: ${String(t.sendRetries)}. Provider calls: ${String(t.providerCalls)}.`,
    '',
    `kill -9 gaps (KAFKA_SESSION_TIMEOUT_MS=${r.config.sessionTimeoutMs}, KAFKA_HEARTBEAT_INTERVAL_MS=${r.config.heartbeatIntervalMs}): requests sent in the ${KILL_WINDOW_S} s after each kill, and how long they waited.`,
    '',
    '| kill at (s) | requests | longest wait ms (the gap) | P95 ms | waited > 1 s | unanswered |',
    '|---|---|---|---|---|---|',
    ...r.kills.map((k) => `| ${k.t} | ${k.sent} | ${k.maxMs ?? '-'} | ${k.p95Ms ?? '-'} | ${k.over1s} | ${k.unanswered} |`),
    '',
    '| t (s) | sent/s | answered/s | P95 ms | lag | errors | spend USD | replicas up | chaos |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.intervals.map(
      (i) =>
        `| ${i.t} | ${round(i.sent / r.config.intervalS, 1)} | ${i.answeredPerS} | ${i.p95Ms ?? '-'} | ${i.lag ?? '?'} | ${Object.entries(i.errors).map(([k, v]) => `${k} ${v}`).join(', ') || '-'} | ${i.spendUsd.toFixed(4)} | ${i.replicasUp} | ${i.chaos || ''} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`soak: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
