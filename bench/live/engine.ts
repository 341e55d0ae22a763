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
import { ResponseCollector, connectLoadProducer, createTopics, deleteTopics, uniqueTopics, type BenchTopics } from '../support/kafka-io';
import { startRouter, stopRouter, type RouterProcess } from '../support/router-process';
import { startSimProcess, type SimProcess } from '../support/sim-process';
import { routingOptions, routingTableYaml, type LivePolicy } from './policies';
import { lostOutcome, promptText, scoreRequest, type LiveOutcome } from './records';
import { simConfigFor } from './sim-config';

export interface LiveJob {
  /** Label for progress lines, e.g. `primary-outage-5min/switchyard`. */
  name: string;
  scenario: Scenario;
  world: World;
  policy: LivePolicy;
}

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
  router: RouterProcess;
  topics: BenchTopics & { outcomes: string };
  collector: ResponseCollector;
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
}

const ARM_INDEX = new WeakMap<Scenario, Map<string, number>>();
function armIndex(scenario: Scenario, id: string | undefined): number {
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

async function startJob(job: LiveJob, o: EngineOptions): Promise<Running> {
  const sim = await startSimProcess(simConfigFor(job.scenario, job.world), 1);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-live-'));
  const table = join(dir, 'routing.yaml');
  writeFileSync(table, routingTableYaml(job.scenario, sim.url, job.policy));
  const base = uniqueTopics(`live-${job.policy}`);
  const topics = { ...base, outcomes: `${base.tag}.outcomes` };
  await createTopics(o.kafka, [...topics.all, topics.outcomes], o.partitions ?? 4);
  const n = job.world.requests.length;
  const r: Running = {
    job,
    sim,
    router: undefined as unknown as RouterProcess,
    topics,
    collector: undefined as unknown as ResponseCollector,
    sentAt: new Float64Array(n).fill(NaN),
    outcomes: new Array<LiveOutcome | undefined>(n),
    answered: 0,
    failed: 0,
  };
  r.collector = new ResponseCollector(o.kafka, topics.responses, (id, raw, receivedAt) => {
    const index = Number(id.slice(id.lastIndexOf('-') + 1));
    const sent = r.sentAt[index];
    if (!(index >= 0 && index < n) || Number.isNaN(sent) || r.outcomes[index]) return;
    const body = raw as ResponseBody;
    const ok = body.status === 'ok' && !body.degraded;
    const outcome: LiveOutcome = {
      ok,
      latencyMs: receivedAt - sent,
      servedArm: ok ? armIndex(job.scenario, body.servedBy?.arm) : -1,
      firstArm: armIndex(job.scenario, body.attempts?.[0]?.arm),
      inputTokens: body.usage?.inputTokens ?? 0,
      outputTokens: body.usage?.outputTokens ?? 0,
      ...(ok ? {} : { failure: body.error?.kind ?? (body.degraded ? 'degraded' : 'failed') }),
    };
    r.outcomes[index] = outcome;
    r.answered++;
    if (!ok) r.failed++;
  });
  await r.collector.start();
  r.router = await startRouter({
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
  return r;
}

function requestMessage(job: LiveJob, index: number): Message {
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
    routing: routingOptions(job.scenario, job.policy, c),
  };
  return { key: id, value: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

/** Publishes every job's requests at their scheduled offsets (10 ms ticks), all jobs from one clock. */
async function publishSchedule(running: Running[], producer: Producer, o: EngineOptions, startMs: number): Promise<void> {
  const cursors = running.map(() => 0);
  const lastAt = Math.max(...running.map((r) => r.job.scenario.duration));
  let nextProgress = o.progressEveryMs ?? 10_000;
  for (;;) {
    const elapsed = nowMs() - startMs;
    const sends: Promise<unknown>[] = [];
    running.forEach((r, j) => {
      const reqs = r.job.world.requests;
      const messages: Message[] = [];
      while (cursors[j] < reqs.length && reqs[cursors[j]].at <= elapsed) {
        const i = cursors[j]++;
        messages.push(requestMessage(r.job, i));
        r.sentAt[i] = nowMs();
      }
      if (messages.length) sends.push(sendWithRetry(producer, r.topics.requests, messages));
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
  const jobs = running.map((r) => `${r.job.name} ${r.answered}/${r.job.world.requests.length}${r.failed ? ` (${r.failed} failed)` : ''}`);
  return `live: ${(elapsed / 1000).toFixed(0)}/${(total / 1000).toFixed(0)} s  ${jobs.join('  ')}`;
}

export async function runLiveJobs(jobs: LiveJob[], o: EngineOptions): Promise<LiveJobResult[]> {
  const running: Running[] = [];
  const cleanup = async () => {
    await Promise.all(running.map((r) => stopRouter(r.router, 20_000).catch(() => undefined)));
    await Promise.all(running.map((r) => r.collector?.stop().catch(() => undefined)));
    await Promise.all(running.map((r) => r.sim.close().catch(() => undefined)));
    await deleteTopics(o.kafka, running.flatMap((r) => [...r.topics.all, r.topics.outcomes]));
  };
  let producer: Producer | undefined;
  try {
    for (const job of jobs) {
      o.log(`live: starting ${job.name} (${job.world.requests.length} requests over ${(job.scenario.duration / 1000).toFixed(0)} s)`);
      running.push(await startJob(job, o));
    }
    producer = await connectLoadProducer(o.kafka);
    // Every simulator restarts its phase clock now, so scenario time 0 is the same instant for all.
    await Promise.all(running.map((r) => r.sim.reset()));
    const startMs = nowMs();
    await publishSchedule(running, producer, o, startMs);
    const maxDeadline = Math.max(...jobs.flatMap((j) => j.scenario.workload.classes.map((c) => c.deadlineMs)));
    const waitUntil = nowMs() + maxDeadline + 30_000;
    while (nowMs() < waitUntil && running.some((r) => r.answered < r.job.world.requests.length)) await sleep(200);
    o.log(progressLine(running, nowMs() - startMs, nowMs() - startMs));
    const results: LiveJobResult[] = [];
    for (const r of running) {
      const stats = await r.sim.stats();
      const { scenario, world } = r.job;
      const ref = refCosts(scenario);
      const records = world.requests.map((req, i) => scoreRequest(scenario, world, ref, req, r.outcomes[i] ?? lostOutcome(nowMs() - r.sentAt[i])));
      results.push({
        job: r.job,
        records,
        budgetOvershootPct: overshoot(scenario, records, r),
        attemptsPerRequest: stats.total / Math.max(1, records.length),
        simCallsByModel: stats.byModel,
        duplicates: r.collector.duplicates,
      });
    }
    return results;
  } finally {
    await producer?.disconnect().catch(() => undefined);
    await cleanup();
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
