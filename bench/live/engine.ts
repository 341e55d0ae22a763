// Runs live jobs (scenario × policy) at the same time, in real time, through one Kafka broker: each
// job has its own provider-sim process (same scenario and seed), its own topics and its own router
// process configured as the policy. One publisher sends every job's copy of a request at the same
// scheduled instant, so all policies meet the same arrivals and the same provider timeline.
import { windowId } from '@switchyard/core';
import type { Kafka, Message, Producer } from 'kafkajs';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scenario } from '../policy/scenario';
import { refCosts, type RequestRecord } from '../policy/simulate';
import type { World } from '../policy/world';
import { nowMs, sleep } from '../support/env';
import { ResponseCollector, connectLoadProducer, createTopics, deleteTopics, uniqueTopics } from '../support/kafka-io';
import { startRouter, stopRouter } from '../support/router-process';
import { startSimProcess, type SimProcess } from '../support/sim-process';
import { routingOptions, routingTableYaml, type LivePolicy } from './policies';
import { lostOutcome, promptText, scoreRequest, type LiveOutcome } from './records';
import { simConfigFor } from './sim-config';

export interface LiveJob {
  /** Label for progress lines, e.g. `primary-outage-5min/switchyard`. */
  name: string;
  scenario: Scenario;
  world: World;
  /** A Switchyard policy, or the name of a peer system (`litellm`). */
  policy: string;
  /** What receives the requests; default: a Switchyard router process configured as `policy`. */
  target?: TargetFactory;
}

/** Everything a target needs to serve one job and report what each request came to. */
export interface TargetContext {
  job: LiveJob;
  simUrl: string;
  options: EngineOptions;
  /** Call once per request with what the client saw. */
  record(index: number, outcome: LiveOutcome): void;
  /** Client clock (fractional epoch ms) when each request was handed over (NaN before). */
  sentAt: Float64Array;
}

export interface LiveTarget {
  /** Hands requests over (they are answered asynchronously through `record`). */
  send(indices: number[]): Promise<void>;
  /** Answers received more than once (0 when the transport cannot tell). */
  duplicates(): number;
  /** First-attempt arm per request index, when only the simulator's call log knows it. */
  firstArms?(): Promise<Map<number, number>>;
  stop(): Promise<void>;
}

export type TargetFactory = (ctx: TargetContext) => Promise<LiveTarget>;

export interface LiveJobResult {
  job: LiveJob;
  records: RequestRecord[];
  budgetOvershootPct: number;
  /** Provider calls the simulator served, per request. */
  attemptsPerRequest: number;
  simCallsByModel: Record<string, { calls: number; ok: number; errors: number }>;
  duplicates: number;
}

interface Running {
  job: LiveJob;
  sim: SimProcess;
  target: LiveTarget;
  sentAt: Float64Array;
  outcomes: Array<LiveOutcome | undefined>;
  answered: number;
  failed: number;
}

export interface EngineOptions {
  kafka: Kafka;
  brokers: string[];
  partitions?: number;
  log: (line: string) => void;
  /** Extra router environment (e.g. LOG_LEVEL). */
  routerEnv?: Record<string, string>;
  progressEveryMs?: number;
  /** The shared load producer (connected by runLiveJobs). */
  producer: () => Producer;
}

const ARM_INDEX = new WeakMap<Scenario, Map<string, number>>();
/** Index of an arm id in the scenario (-1 for none or unknown). */
export function armIndex(scenario: Scenario, id: string | undefined): number {
  if (id === undefined) return -1;
  let m = ARM_INDEX.get(scenario);
  if (!m) ARM_INDEX.set(scenario, (m = new Map(scenario.arms.map((a, i) => [a.id, i]))));
  return m.get(id) ?? -1;
}

interface ResponseBody {
  status?: string;
  degraded?: boolean;
  servedBy?: { arm?: string };
  attempts?: Array<{ arm?: string }>;
  usage?: { inputTokens?: number; outputTokens?: number };
  error?: { kind?: string };
}

/** A Switchyard router process configured as the job's policy, fed through its own Kafka topics. */
export function routerTarget(policy: LivePolicy): TargetFactory {
  return async ({ job, simUrl, options: o, record }) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-live-'));
    const table = join(dir, 'routing.yaml');
    writeFileSync(table, routingTableYaml(job.scenario, simUrl, policy));
    const base = uniqueTopics(`live-${policy}`);
    const topics = { ...base, outcomes: `${base.tag}.outcomes` };
    await createTopics(o.kafka, [...topics.all, topics.outcomes], o.partitions ?? 4);
    const collector = new ResponseCollector(o.kafka, topics.responses, (id, raw) => {
      const body = raw as ResponseBody;
      const ok = body.status === 'ok' && !body.degraded;
      record(Number(id.slice(id.lastIndexOf('-') + 1)), {
        ok,
        latencyMs: 0, // set by the engine from the receive time
        servedArm: ok ? armIndex(job.scenario, body.servedBy?.arm) : -1,
        firstArm: armIndex(job.scenario, body.attempts?.[0]?.arm),
        inputTokens: body.usage?.inputTokens ?? 0,
        outputTokens: body.usage?.outputTokens ?? 0,
        ...(ok ? {} : { failure: body.error?.kind ?? (body.degraded ? 'degraded' : 'failed') }),
      });
    });
    await collector.start();
    const router = await startRouter({
      env: {
        KAFKA_BROKERS: o.brokers.join(','),
        KAFKA_CREATE_TOPICS: 'false',
        ROUTING_TABLE: table,
        ...topics.routerEnv,
        TOPIC_OUTCOMES: topics.outcomes,
        OTEL_SDK_DISABLED: 'true',
        ...o.routerEnv,
      },
    });
    return {
      send: (indices) => sendWithRetry(o.producer(), topics.requests, indices.map((i) => requestMessage(job, policy, i))),
      duplicates: () => collector.duplicates,
      stop: async () => {
        await stopRouter(router, 20_000).catch(() => undefined);
        await collector.stop().catch(() => undefined);
        await deleteTopics(o.kafka, [...topics.all, topics.outcomes]);
      },
    };
  };
}

async function startJob(job: LiveJob, o: EngineOptions): Promise<Running> {
  const sim = await startSimProcess(simConfigFor(job.scenario, job.world), 1);
  const n = job.world.requests.length;
  const r: Running = { job, sim, target: undefined as unknown as LiveTarget, sentAt: new Float64Array(n).fill(NaN), outcomes: new Array<LiveOutcome | undefined>(n), answered: 0, failed: 0 };
  const record = (index: number, outcome: LiveOutcome) => {
    const sent = r.sentAt[index];
    if (!(index >= 0 && index < n) || Number.isNaN(sent) || r.outcomes[index]) return;
    // Latency is always the client's: from hand-over to this moment.
    r.outcomes[index] = { ...outcome, latencyMs: nowMs() - sent };
    r.answered++;
    if (!outcome.ok) r.failed++;
  };
  try {
    const factory = job.target ?? routerTarget(job.policy as LivePolicy);
    r.target = await factory({ job, simUrl: sim.url, options: o, record, sentAt: r.sentAt });
  } catch (err) {
    await sim.close();
    throw err;
  }
  return r;
}

function requestMessage(job: LiveJob, policy: LivePolicy, index: number): Message {
  const req = job.world.requests[index];
  const c = job.scenario.workload.classes[req.classIndex];
  const id = `live-${index}`;
  const body = {
    schemaVersion: 1,
    id,
    tenant: c.tenant,
    class: c.name,
    messages: [{ role: 'user', content: promptText(index, req.inputTokens) }],
    params: { maxTokens: Math.min(req.outputTokens, c.maxTokens ?? Infinity) },
    routing: routingOptions(job.scenario, policy, c),
  };
  return { key: id, value: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

/** Hands every job's requests over at their scheduled offsets (10 ms ticks), all jobs from one clock. */
async function sendSchedule(running: Running[], o: EngineOptions, startMs: number): Promise<void> {
  const cursors = running.map(() => 0);
  const lastAt = Math.max(...running.map((r) => r.job.scenario.duration));
  let nextProgress = o.progressEveryMs ?? 10_000;
  for (;;) {
    const elapsed = nowMs() - startMs;
    const sends: Promise<unknown>[] = [];
    running.forEach((r, j) => {
      const reqs = r.job.world.requests;
      const due: number[] = [];
      while (cursors[j] < reqs.length && reqs[cursors[j]].at <= elapsed) {
        const i = cursors[j]++;
        due.push(i);
        r.sentAt[i] = nowMs();
      }
      if (due.length) sends.push(r.target.send(due));
    });
    await Promise.all(sends);
    if (elapsed >= nextProgress) {
      nextProgress += o.progressEveryMs ?? 10_000;
      o.log(progressLine(running, elapsed, lastAt));
    }
    if (running.every((r, j) => cursors[j] >= r.job.world.requests.length)) return;
    await sleep(10);
  }
}

async function sendWithRetry(producer: Producer, topic: string, messages: Message[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.send({ topic, acks: -1, messages });
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(250);
    }
  }
}

function progressLine(running: Running[], elapsed: number, total: number): string {
  let sent = 0;
  let answered = 0;
  for (const r of running) {
    answered += r.answered;
    for (const t of r.sentAt) if (!Number.isNaN(t)) sent++;
  }
  const failing = running.filter((r) => r.failed > 0).map((r) => `${r.job.name} ${r.failed}`);
  return `live: ${(elapsed / 1000).toFixed(0)}/${(total / 1000).toFixed(0)} s  ${answered}/${sent} answered (${running.length} runs)${failing.length ? `  failed: ${failing.join(', ')}` : ''}`;
}

export async function runLiveJobs(jobs: LiveJob[], options: Omit<EngineOptions, 'producer'>): Promise<LiveJobResult[]> {
  const running: Running[] = [];
  let producer: Producer | undefined;
  const o: EngineOptions = {
    ...options,
    producer: () => {
      if (!producer) throw new Error('the load producer is not connected yet');
      return producer;
    },
  };
  // Ctrl-C / SIGTERM: stop every router, simulator and proxy this run started, then exit.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    o.log(`live: ${signal}: stopping ${running.length} runs`);
    void Promise.all(running.map((r) => Promise.all([r.target.stop().catch(() => undefined), r.sim.close().catch(() => undefined)]))).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    producer = await connectLoadProducer(o.kafka);
    for (const job of jobs) {
      o.log(`live: starting ${job.name} (${job.world.requests.length} requests over ${(job.scenario.duration / 1000).toFixed(0)} s)`);
      running.push(await startJob(job, o));
    }
    // Every simulator restarts its phase clock now, so scenario time 0 is the same instant for all.
    await Promise.all(running.map((r) => r.sim.reset()));
    const startMs = nowMs();
    await sendSchedule(running, o, startMs);
    const maxDeadline = Math.max(...jobs.flatMap((j) => j.scenario.workload.classes.map((c) => c.deadlineMs)));
    const waitUntil = nowMs() + maxDeadline + 30_000;
    while (nowMs() < waitUntil && running.some((r) => r.answered < r.job.world.requests.length)) await sleep(200);
    o.log(progressLine(running, nowMs() - startMs, nowMs() - startMs));
    const results: LiveJobResult[] = [];
    for (const r of running) {
      const stats = await r.sim.stats();
      const firstArms = r.target.firstArms ? await r.target.firstArms() : undefined;
      const { scenario, world } = r.job;
      const ref = refCosts(scenario);
      const records = world.requests.map((req, i) => {
        const outcome = r.outcomes[i] ?? lostOutcome(nowMs() - r.sentAt[i]);
        const first = outcome.firstArm >= 0 ? outcome.firstArm : (firstArms?.get(i) ?? -1);
        return scoreRequest(scenario, world, ref, req, { ...outcome, firstArm: first });
      });
      results.push({
        job: r.job,
        records,
        budgetOvershootPct: overshoot(scenario, records, r),
        attemptsPerRequest: stats.total / Math.max(1, records.length),
        simCallsByModel: stats.byModel,
        duplicates: r.target.duplicates(),
      });
    }
    return results;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(running.map((r) => r.target.stop().catch(() => undefined)));
    await Promise.all(running.map((r) => r.sim.close().catch(() => undefined)));
    await producer?.disconnect().catch(() => undefined);
  }
}

/** Max over the router's budget windows (UTC, wall clock) of global spend over the cap, in %. */
function overshoot(scenario: Scenario, records: RequestRecord[], r: Running): number {
  const caps = scenario.budget?.global;
  if (!caps) return 0;
  const spend = new Map<string, number>();
  records.forEach((rec, i) => {
    if (rec.costUsd <= 0) return;
    const at = r.sentAt[i] + rec.latencyMs;
    for (const w of ['minute', 'hour', 'day'] as const) {
      const id = windowId(w, at);
      spend.set(id, (spend.get(id) ?? 0) + rec.costUsd);
    }
  });
  let worst = 0;
  for (const [id, spent] of spend) {
    const cap = caps[id.slice(0, id.indexOf(':')) as 'minute' | 'hour' | 'day'];
    if (cap !== undefined) worst = Math.max(worst, ((spent - cap) / cap) * 100);
  }
  return worst;
}
