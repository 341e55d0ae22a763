// Runs live jobs (scenario × policy) at the same time, in real time, through one Kafka broker: each
// job has its own provider-sim process (same scenario and seed), its own topics and its own router
// process configured as the policy. One publisher sends every job's copy of a request at the same
// scheduled instant, so all policies meet the same arrivals and the same provider timeline.
// Every router's and simulator's output is streamed to <logDir>/<scenario>-<policy>-<process>.log,
// and each request ends answered, dead-lettered or lost (accounting.ts).
import { windowId } from '@switchyard/core';
import type { Kafka, Message, Producer } from 'kafkajs';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scenario } from '../policy/scenario';
import { refCosts, type RequestRecord } from '../policy/simulate';
import type { World } from '../policy/world';
import { nowMs, sleep } from '../support/env';
import { ResponseCollector, connectLoadProducer, createTopics, deleteTopics, uniqueTopics } from '../support/kafka-io';
import { startRouter, stopRouter } from '../support/router-process';
import { startSimProcess, type SimProcess } from '../support/sim-process';
import { accountRun, type RunAccounting } from './accounting';
import { LiveFeedback, type FeedbackCounts } from './feedback';
import { routingOptions, routingTableYaml, type LivePolicy } from './policies';
import { openProcessLog, type ProcessLog } from './process-log';
import { answerTokens, unansweredOutcome, promptText, scoreRequest, type LiveOutcome } from './records';
import { priceAt, simConfigFor } from './sim-config';

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
  /** Call when a DLQ record names the request (targets with a DLQ only). */
  recordDlq(index: number, reason: string): void;
  /** Where this job's log of process `what` (`router`, `sim`, ...) goes: `<logDir>/<scenario>-<policy>-<what>.log`. */
  logFile(what: string): string;
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
  /** The target's process logs by name (`router`, `litellm`, ...), as paths to open. */
  logs: Record<string, string>;
  /** The DLQ topic the target reads, when it has one (Switchyard routers; HTTP peers have none). */
  dlqTopic?: string;
  /** Told the scenario time on every tick of the send schedule (routers apply price changes). */
  atScenarioTime?(elapsedMs: number): void;
  /** The quality feedback this target was given (Switchyard routers; peers get none). */
  feedback?(): Promise<LiveFeedbackReport>;
  /** What the router's answer checks said, answers per result (`pass`, `cut`, ...); Switchyard routers only. */
  answerChecks?(): Promise<Record<string, number> | null>;
  /** The router's provider attempts per arm and outcome (`ok` or an error kind); Switchyard routers only. */
  attemptOutcomes?(): Promise<Record<string, Record<string, number>> | null>;
  stop(): Promise<void>;
}

/** Feedback the client published to a router, and what the router made of it. */
export interface LiveFeedbackReport extends FeedbackCounts {
  /** The router's own count of feedback it joined to an answer and learnt (`switchyard_feedback_total{result="applied"}`); null when unreadable. */
  applied: number | null;
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
  /** Sent, answered, dead-lettered, lost. */
  accounting: RunAccounting;
  /** The target's logs and the simulator's (`sim`). */
  logs: Record<string, string>;
  /** How long the run waited after the last send before calling a request lost. */
  graceMs: number;
  /** Quality feedback given to the target; null for targets that get none (peers). */
  feedback: LiveFeedbackReport | null;
  /** The router's answer checks per result (null: not a router, or unreadable). */
  answerChecks: Record<string, number> | null;
  /** The router's attempts per arm and outcome (null: not a router, or unreadable). */
  attemptOutcomes: Record<string, Record<string, number>> | null;
}

interface Running {
  job: LiveJob;
  sim: SimProcess;
  simLog: ProcessLog;
  target: LiveTarget;
  sentAt: Float64Array;
  outcomes: Array<LiveOutcome | undefined>;
  /** DLQ reason and client wait per request a DLQ record named. */
  dlq: Array<{ reason: string; waitedMs: number } | undefined>;
  answered: number;
  failed: number;
  dlqCount: number;
  /** Answered or dead-lettered: nothing more to wait for. */
  settled: number;
}

export interface EngineOptions {
  kafka: Kafka;
  brokers: string[];
  /** Folder for every router's, simulator's and peer's output (created). */
  logDir: string;
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

/** Request index of a bench request id (`live-<index>`). */
const indexOfId = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));
const idOfIndex = (index: number) => `live-${index}`;

/** The router's Prometheus metrics text (null when unreadable). */
async function routerMetrics(port: number): Promise<string | null> {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } catch {
    return null;
  }
}

/** Sum of a counter's series per value of one label, e.g. answer checks by `result`. */
function counterBy(metrics: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [labels, n] of series(metrics, name)) {
    const value = labels[label];
    if (value !== undefined) out[value] = (out[value] ?? 0) + n;
  }
  return out;
}

/** A counter's series as (labels, value) pairs from Prometheus text. */
function series(metrics: string, name: string): Array<[Record<string, string>, number]> {
  const line = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm');
  return [...metrics.matchAll(line)].map((m) => [Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]])), Number(m[2])]);
}

/**
 * Feedback the router applied (`switchyard_feedback_total{result="applied"}`), once it has caught
 * up with what was published (the consumer polls; up to 10 s), or null when unreadable.
 */
async function appliedFeedback(port: number, published: number): Promise<number | null> {
  const until = Date.now() + 10_000;
  for (;;) {
    const metrics = await routerMetrics(port);
    if (metrics === null) return null;
    const applied = counterBy(metrics, 'switchyard_feedback_total', 'result').applied ?? 0;
    if (applied >= published || Date.now() > until) return applied;
    await sleep(250);
  }
}

/** A Switchyard router process configured as the job's policy, fed through its own Kafka topics. */
export function routerTarget(policy: LivePolicy): TargetFactory {
  return async ({ job, simUrl, options: o, record, recordDlq, logFile, sentAt }) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-live-'));
    const table = join(dir, 'routing.yaml');
    writeFileSync(table, routingTableYaml(job.scenario, simUrl, policy));
    // Price changes reach the router as a provider's would: the routing table file is rewritten
    // (written aside, renamed over) and the router's file watch reloads it.
    const priceChanges = [...new Set(job.world.timelines.flatMap((tl) => tl.prices.map((p) => p.at)))].sort((a, b) => a - b);
    let nextPriceChange = 0;
    const publishPrices = (elapsedMs: number) => {
      if (nextPriceChange >= priceChanges.length || priceChanges[nextPriceChange] > elapsedMs) return;
      while (nextPriceChange < priceChanges.length && priceChanges[nextPriceChange] <= elapsedMs) nextPriceChange++;
      writeFileSync(`${table}.next`, routingTableYaml(job.scenario, simUrl, policy, (i) => priceAt(job.scenario, job.world, i, elapsedMs)));
      renameSync(`${table}.next`, table);
    };
    // uniqueTopics already gives the phase its own outcomes and feedback topics (in `all`).
    const topics = uniqueTopics(`live-${policy}`);
    await createTopics(o.kafka, topics.all, o.partitions ?? 4);
    const collector = new ResponseCollector(o.kafka, topics.responses, (id, raw) => {
      const body = raw as ResponseBody;
      const ok = body.status === 'ok' && !body.degraded;
      const index = indexOfId(id);
      const servedArm = ok ? armIndex(job.scenario, body.servedBy?.arm) : -1;
      // Answer time in scenario time, as the engine scores it: arrival + the client's latency.
      const answeredAt = job.world.requests[index] ? job.world.requests[index].at + (nowMs() - sentAt[index]) : NaN;
      if (servedArm >= 0 && Number.isFinite(answeredAt)) feedback.answered(index, servedArm, answeredAt);
      record(index, {
        ok,
        latencyMs: 0, // set by the engine from the receive time
        servedArm,
        firstArm: armIndex(job.scenario, body.attempts?.[0]?.arm),
        inputTokens: body.usage?.inputTokens ?? 0,
        outputTokens: body.usage?.outputTokens ?? 0,
        ...(ok ? {} : { failure: body.error?.kind ?? (body.degraded ? 'degraded' : 'failed') }),
      });
    });
    // The router's DLQ topic (TOPIC_DLQ below): a request it refuses is answered there, not lost.
    // DLQ records are keyed by request id when the bytes had one; the body's requestId decides.
    const dlq = new ResponseCollector(o.kafka, topics.dlq, (key, raw) => {
      const body = raw as { requestId?: string; reason?: string };
      recordDlq(indexOfId(body.requestId ?? key), body.reason ?? 'unknown');
    });
    const feedback = new LiveFeedback(job.scenario, job.world, o.producer, topics.feedback, idOfIndex);
    await collector.start();
    await dlq.start();
    const router = await startRouter({
      env: {
        KAFKA_BROKERS: o.brokers.join(','),
        KAFKA_CREATE_TOPICS: 'false',
        ROUTING_TABLE: table,
        ...topics.routerEnv,
        OTEL_SDK_DISABLED: 'true',
        ...o.routerEnv,
      },
    });
    // Start-up lines come from the spawner's in-memory tail; everything after streams to the file.
    const routerLog = openProcessLog(logFile('router'), router.child, `router for ${job.name} (${topics.tag})`, router.output());
    return {
      send: (indices) => sendWithRetry(o.producer(), topics.requests, indices.map((i) => requestMessage(job, policy, i))),
      duplicates: () => collector.duplicates,
      logs: { router: routerLog.path },
      dlqTopic: topics.dlq,
      atScenarioTime: publishPrices,
      feedback: async () => {
        await feedback.stop(); // the run is over: what is not due yet is never given
        return { ...feedback.counts, applied: await appliedFeedback(router.port, feedback.counts.published) };
      },
      answerChecks: async () => {
        const metrics = await routerMetrics(router.port);
        return metrics === null ? null : counterBy(metrics, 'switchyard_answer_checks_total', 'result');
      },
      attemptOutcomes: async () => {
        const metrics = await routerMetrics(router.port);
        if (metrics === null) return null;
        const out: Record<string, Record<string, number>> = {};
        for (const [labels, n] of series(metrics, 'switchyard_attempts_total')) {
          const byOutcome = (out[labels.arm] ??= {});
          byOutcome[labels.outcome] = (byOutcome[labels.outcome] ?? 0) + n;
        }
        return out;
      },
      stop: async () => {
        await feedback.stop();
        await stopRouter(router, 20_000).catch(() => undefined);
        await routerLog.closed();
        await collector.stop().catch(() => undefined);
        await dlq.stop().catch(() => undefined);
        await deleteTopics(o.kafka, topics.all);
      },
    };
  };
}

async function startJob(job: LiveJob, o: EngineOptions): Promise<Running> {
  const logFile = (what: string) => join(o.logDir, `${job.scenario.name}-${job.policy}-${what}.log`);
  const sim = await startSimProcess(simConfigFor(job.scenario, job.world), 1);
  // The simulator's "listening on" line was read by its spawner; the header names the address.
  const simLog = openProcessLog(logFile('sim'), sim.child, `provider-sim for ${job.name} listening on ${sim.url}`);
  const n = job.world.requests.length;
  const r: Running = {
    job,
    sim,
    simLog,
    target: undefined as unknown as LiveTarget,
    sentAt: new Float64Array(n).fill(NaN),
    outcomes: new Array<LiveOutcome | undefined>(n),
    dlq: new Array<{ reason: string; waitedMs: number } | undefined>(n),
    answered: 0,
    failed: 0,
    dlqCount: 0,
    settled: 0,
  };
  const sentBefore = (index: number) => index >= 0 && index < n && !Number.isNaN(r.sentAt[index]);
  const record = (index: number, outcome: LiveOutcome) => {
    if (!sentBefore(index) || r.outcomes[index]) return;
    // Latency is always the client's: from hand-over to this moment.
    r.outcomes[index] = { ...outcome, latencyMs: nowMs() - r.sentAt[index] };
    r.answered++;
    if (!outcome.ok) r.failed++;
    if (!r.dlq[index]) r.settled++;
  };
  const recordDlq = (index: number, reason: string) => {
    if (!sentBefore(index) || r.dlq[index]) return;
    r.dlq[index] = { reason, waitedMs: nowMs() - r.sentAt[index] };
    r.dlqCount++;
    if (!r.outcomes[index]) r.settled++;
  };
  try {
    const factory = job.target ?? routerTarget(job.policy as LivePolicy);
    r.target = await factory({ job, simUrl: sim.url, options: o, record, recordDlq, logFile, sentAt: r.sentAt });
  } catch (err) {
    await sim.close();
    await simLog.closed();
    throw err;
  }
  return r;
}

function requestMessage(job: LiveJob, policy: LivePolicy, index: number): Message {
  const req = job.world.requests[index];
  const c = job.scenario.workload.classes[req.classIndex];
  const id = idOfIndex(index);
  const body = {
    schemaVersion: 1,
    id,
    tenant: c.tenant,
    class: c.name,
    messages: [{ role: 'user', content: promptText(index, req.inputTokens, answerTokens(job.scenario, req)) }],
    // The class's max tokens, as the in-process simulator's requests carry (the router's cost
    // estimate and context-window check see the same request); the answer's length is the drawn one.
    params: c.maxTokens !== undefined ? { maxTokens: c.maxTokens } : {},
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
      r.target.atScenarioTime?.(elapsed);
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
  let dlq = 0;
  for (const r of running) {
    answered += r.answered;
    dlq += r.dlqCount;
    for (const t of r.sentAt) if (!Number.isNaN(t)) sent++;
  }
  const failing = running.filter((r) => r.failed > 0).map((r) => `${r.job.name} ${r.failed}`);
  return `live: ${(elapsed / 1000).toFixed(0)}/${(total / 1000).toFixed(0)} s  ${answered}/${sent} answered${dlq ? `, ${dlq} DLQ` : ''} (${running.length} runs)${failing.length ? `  failed: ${failing.join(', ')}` : ''}`;
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
    const stopOne = async (r: Running) => {
      await Promise.all([r.target.stop().catch(() => undefined), r.sim.close().catch(() => undefined)]);
      await r.simLog.closed(); // exit() drops file writes still queued
    };
    void Promise.all(running.map(stopOne)).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
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
    // The end-of-run grace: the longest deadline plus 30 s for retries, publishing and the collector.
    const graceMs = Math.max(...jobs.flatMap((j) => j.scenario.workload.classes.map((c) => c.deadlineMs))) + 30_000;
    const waitUntil = nowMs() + graceMs;
    while (nowMs() < waitUntil && running.some((r) => r.settled < r.job.world.requests.length)) await sleep(200);
    o.log(progressLine(running, nowMs() - startMs, nowMs() - startMs));
    const results: LiveJobResult[] = [];
    for (const r of running) {
      const stats = await r.sim.stats();
      const firstArms = r.target.firstArms ? await r.target.firstArms() : undefined;
      const feedback = r.target.feedback ? await r.target.feedback() : null;
      const answerChecks = r.target.answerChecks ? await r.target.answerChecks() : null;
      const attemptOutcomes = r.target.attemptOutcomes ? await r.target.attemptOutcomes() : null;
      const { scenario, world } = r.job;
      const ref = refCosts(scenario);
      const records = world.requests.map((req, i) => {
        const dlq = r.dlq[i];
        const outcome = r.outcomes[i] ?? (dlq ? unansweredOutcome('dlq', dlq.waitedMs) : unansweredOutcome('lost', nowMs() - r.sentAt[i]));
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
        accounting: accountRun(
          world.requests.map((_, i) => ({ id: `live-${i}`, sent: !Number.isNaN(r.sentAt[i]), answered: r.outcomes[i] !== undefined, dlqReason: r.dlq[i]?.reason })),
          r.target.dlqTopic !== undefined,
        ),
        logs: { ...r.target.logs, sim: r.simLog.path },
        graceMs,
        feedback,
        answerChecks,
        attemptOutcomes,
      });
    }
    return results;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.all(running.map((r) => r.target.stop().catch(() => undefined)));
    await Promise.all(running.map((r) => r.sim.close().catch(() => undefined)));
    await Promise.all(running.map((r) => r.simLog.closed()));
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
