import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { RequestV1Input, ResponseV1 } from '@switchyard/contracts';
import { intArg, parseArgs } from './args';
import { demoSettings } from './demo-settings';

/**
 * `npm run demo`: local Kafka + provider-sim + the router as real processes, a stream of requests
 * (a few of them malformed), answers printed as they arrive, a summary, then a clean shutdown.
 * In the first half the demo takes down the model of the arm that served most of the latest answers,
 * through provider-sim's control API (every call a 503), and brings it back a few seconds later, so
 * every run shows the failover whichever arm the router happens to prefer.
 * Half-way, a reviewer's feedback arrives on llm.feedback: every answer of the arm that served the
 * most is judged bad, so the second half shows traffic moving off it.
 * Ports come from SIM_PORT, HTTP_PORT, KAFKA_PORT, KAFKA_CONTROLLER_PORT (or KAFKA_BROKERS): see
 * demo-settings.ts.
 */
const ROOT = resolve(__dirname, '../../../../..');
const QUESTIONS = [
  'Summarise why Kafka consumer groups rebalance.',
  'Write a haiku about circuit breakers.',
  'Explain exponential backoff with full jitter in two sentences.',
  'What is the difference between P95 and P99 latency?',
  'Name three reasons an LLM request can fail.',
];

/** Asked twice at the end, the second time reworded: the `faq` class reads the response cache first. */
const FAQ = [
  ['How do I reset my password?', 'Could you please tell me how to reset my password'],
  // A paraphrase that keeps who is asked ("your"): the cache's person guard refuses a hit across
  // "your hours" and "my hours", as it should.
  ['What are your opening hours on Sunday?', 'Could you tell me your Sunday opening hours, please?'],
  ['Do you ship to Norway?', 'do you ship to norway'],
];

/** The outage starts at this share of the requests and lasts at least OUTAGE_MIN_MS, ending by half-way. */
const OUTAGE_FROM = 0.2;
const OUTAGE_UNTIL = 0.42;
/** The arm taken down is the one that served most of this many latest answers. */
const RECENT_ANSWERS = 20;
const OUTAGE_MIN_MS = 3_000;
/** Answers received this long after the outage ended may still have been routed during it. */
const OUTAGE_TAIL_MS = 2_000;

interface Tracked {
  sentAt: number;
  /** 0/1: before/after the feedback; 2: the cache step. */
  phase: 0 | 1 | 2;
}

/** The arm the demo takes down, and when (epoch ms; `until` unset while it is still down). */
interface Outage {
  arm: string;
  model: string;
  since: number;
  until?: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const total = intArg(args, 'requests', 300);
  const rate = intArg(args, 'rate', 40);
  const malformedEvery = intArg(args, 'malformed-every', 50);
  const settings = demoSettings(process.env);
  for (const note of settings.notes) line(`note: ${note}`);
  const { brokers, kafka: ownKafka } = settings;
  const startedKafka = ownKafka !== undefined;
  const kafkaEnv = ownKafka
    ? { ...process.env, KAFKA_PORT: String(ownKafka.port), KAFKA_CONTROLLER_PORT: String(ownKafka.controllerPort), KAFKA_RUN_DIR: join(ROOT, ownKafka.runDir) }
    : process.env;
  const children: ChildProcess[] = [];
  const shutdown = async () => {
    for (const child of children.reverse()) await stop(child);
    if (startedKafka) {
      line('stopping Kafka');
      spawnSync('bash', [join(ROOT, 'infra/kafka.sh'), 'stop'], { env: kafkaEnv, stdio: 'inherit' });
    }
  };
  process.on('SIGINT', () => void shutdown().then(() => process.exit(130)));

  try {
    if (ownKafka) {
      line(`starting Kafka on ${brokers}, controller :${ownKafka.controllerPort} (first run downloads the broker jars from Maven Central)`);
      const up = spawnSync('bash', [join(ROOT, 'infra/kafka.sh'), 'start'], { env: kafkaEnv, stdio: 'inherit' });
      if (up.status !== 0) throw new Error(`Kafka did not start; see ${ownKafka.runDir}/kafka.log (other ports: KAFKA_PORT, KAFKA_CONTROLLER_PORT)`);
    } else {
      line(`using the broker at ${brokers} (KAFKA_BROKERS)`);
    }
    line(`starting provider-sim on :${settings.simPort} (config/sim/demo.yaml: a flaky cheap primary; the demo takes the busiest arm's model down for a few seconds)`);
    const sim = start('provider-sim', 'dist/apps/provider-sim/src/main.js', { SIM_PORT: String(settings.simPort), SIM_HOST: '127.0.0.1', SIM_CONFIG: 'config/sim/demo.yaml' }, /listening on/);
    children.push(sim.child);
    await sim.ready;
    line(`starting the router (config/routing.yaml, providers at SIM_URL=${settings.simUrl}, health on :${settings.httpPort})`);
    const router = start(
      'router',
      'dist/apps/router/src/main.js',
      { KAFKA_BROKERS: brokers, ROUTING_TABLE: 'config/routing.yaml', SIM_URL: settings.simUrl, HTTP_PORT: String(settings.httpPort), LOG_LEVEL: 'log' },
      /ready: consuming/,
    );
    children.push(router.child);
    await router.ready;

    const kafka = new Kafka({ clientId: 'switchyard-demo', brokers: [brokers], logLevel: logLevel.NOTHING });
    const tracked = new Map<string, Tracked>();
    const latencies: number[] = [];
    const servedBy = new Map<string, number>();
    const servedModel = new Map<string, string>();
    const recentArms: string[] = [];
    // Per phase (before / after the feedback): which arm served each answer.
    const servedIn: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];
    let answered = 0;
    let failed = 0;
    let dlq = 0;
    let withFallback = 0;
    let fromCache = 0;
    let cost = 0;
    // Answers received while the downed arm was down (or just after): answered by another arm after
    // trying it, answered without trying it (its breaker open, or the policy chose another arm), failed.
    let outage: Outage | undefined;
    const during = { answered: 0, fellBack: 0, routedAround: 0, failed: 0 };
    const inOutage = (at: number) => outage !== undefined && at >= outage.since && (outage.until === undefined || at <= outage.until + OUTAGE_TAIL_MS);
    const consumer = kafka.consumer({ groupId: `switchyard-demo-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: ['llm.responses', 'llm.requests.dlq'], fromBeginning: false });
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const id = message.key?.toString() ?? '';
        const t = tracked.get(id);
        if (!t) return;
        tracked.delete(id);
        if (topic === 'llm.requests.dlq') {
          dlq++;
          const record = JSON.parse(message.value!.toString()) as { reason: string; message: string };
          line(`DLQ     ${id}: ${record.reason}: ${record.message.slice(0, 90)}`);
          return;
        }
        const r = JSON.parse(message.value!.toString()) as ResponseV1;
        latencies.push(Date.now() - t.sentAt);
        cost += r.usage.costUsd;
        if (r.attempts.length > 1) withFallback++;
        if (outage && inOutage(Date.now())) {
          during.answered++;
          const triedDowned = r.attempts.some((a) => a.arm === outage!.arm && a.outcome !== 'ok');
          if (r.status !== 'ok') during.failed++;
          else if (triedDowned) {
            during.fellBack++;
            if (during.fellBack <= 4) line(`failover ${id} [${r.attempts.map((a) => `${a.arm}:${a.outcome}`).join(' → ')}] answered by ${r.servedBy!.arm}`);
          } else during.routedAround++;
        }
        if (r.status === 'ok' && r.servedFrom === 'cache') {
          fromCache++;
          const c = r.cache!;
          line(`cache   ${id} ${r.latencyMs} ms, ${c.kind} match${c.kind === 'semantic' ? ` (similarity ${c.similarity.toFixed(3)})` : ''}, ${(c.ageMs / 1000).toFixed(1)} s old, first answered by ${c.arm} for ${c.firstRequestId}${c.lastResort ? ' (every arm failed: last resort)' : ''}, $0`);
        } else if (r.status === 'ok') {
          answered++;
          if (t.phase === 2) line(`answer  ${id} ${r.latencyMs} ms from ${r.servedBy!.arm}, $${r.usage.costUsd.toFixed(6)} (now in the cache)`);
          servedBy.set(r.servedBy!.arm, (servedBy.get(r.servedBy!.arm) ?? 0) + 1);
          servedModel.set(r.servedBy!.arm, r.servedBy!.model);
          recentArms.push(r.servedBy!.arm);
          if (recentArms.length > RECENT_ANSWERS) recentArms.shift();
          if (t.phase !== 2) servedIn[t.phase].set(id, r.servedBy!.arm);
          if (t.phase !== 2 && (answered <= 6 || (r.attempts.length > 1 && withFallback <= 6))) {
            const path = r.attempts.map((a) => `${a.arm}:${a.outcome}`).join(' → ');
            line(`answer  ${id} ${r.latencyMs} ms [${path}] ${r.output!.text.slice(0, 60)}…`);
          }
        } else {
          failed++;
          line(`FAILED  ${id} ${r.error?.kind}: ${r.error?.message.slice(0, 100)}`);
        }
      },
    });
    await joined;

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    line(`publishing ${total} requests at ~${rate}/s to llm.requests (every ${malformedEvery}th one malformed on purpose)`);
    const run = Date.now();
    let sent = 0;
    const progress = setInterval(() => line(`progress: sent ${sent}, answered ${answered}, failed ${failed}, dlq ${dlq}, in flight ${tracked.size}`), 2_000);
    let phase: 0 | 1 = 0;
    let judged: string | undefined;
    for (; sent < total; sent++) {
      if (!outage && sent >= Math.floor(total * OUTAGE_FROM)) {
        outage = await startOutage();
        line(`outage: ${outage.model} (arm ${outage.arm}, which served most of the latest answers) is down from now: every call a 503, through provider-sim's control API`);
      }
      const half = sent === Math.floor(total / 2);
      if (outage && outage.until === undefined && (half || (sent >= Math.floor(total * OUTAGE_UNTIL) && Date.now() - outage.since >= OUTAGE_MIN_MS))) {
        await setOutage(outage.model, false);
        outage.until = Date.now();
        line(`outage: ${outage.model} is back after ${((outage.until - outage.since) / 1000).toFixed(1)} s`);
      }
      if (half) {
        judged = await sendFeedback();
        phase = 1;
      }
      const id = `demo-${sent}-${randomUUID().slice(0, 8)}`;
      tracked.set(id, { sentAt: Date.now(), phase });
      const malformed = malformedEvery > 0 && sent % malformedEvery === malformedEvery - 1;
      const request: RequestV1Input = { schemaVersion: 1, id, tenant: 'demo', messages: [{ role: 'user', content: QUESTIONS[sent % QUESTIONS.length] }], params: { maxTokens: 200 } };
      const value = malformed ? JSON.stringify({ ...request, tenant: undefined, messages: 'not a list' }) : JSON.stringify(request);
      await producer.send({ topic: 'llm.requests', messages: [{ key: id, value }] });
      const due = run + ((sent + 1) * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    /** Waits (≤ 10 s) for a first answer, then takes down the model of the arm that served most of the latest ones. */
    async function startOutage(): Promise<Outage> {
      const until = Date.now() + 10_000;
      while (recentArms.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const counts = new Map<string, number>();
      for (const arm of recentArms) counts.set(arm, (counts.get(arm) ?? 0) + 1);
      const busiest = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'openai-gpt-4o-mini';
      const model = servedModel.get(busiest) ?? 'gpt-4o-mini';
      await setOutage(model, true);
      return { arm: busiest, model, since: Date.now() };
    }
    /** Takes a simulator model down or brings it back (PATCH /_sim/models/<name>). */
    async function setOutage(model: string, down: boolean): Promise<void> {
      const res = await fetch(`${settings.simUrl}/_sim/models/${encodeURIComponent(model)}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ faults: { outage: down ? 503 : false } }),
      });
      if (!res.ok) throw new Error(`provider-sim refused the outage switch: HTTP ${res.status} ${await res.text()}`);
    }
    /** Waits for the first half, then judges every answer of the busiest arm bad and the others good. */
    async function sendFeedback(): Promise<string | undefined> {
      const until = Date.now() + 30_000;
      while ([...tracked.values()].some((t) => t.phase === 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      const counts = new Map<string, number>();
      for (const arm of servedIn[0].values()) counts.set(arm, (counts.get(arm) ?? 0) + 1);
      const busiest = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
      if (!busiest) return undefined;
      const messages = [...servedIn[0]].map(([id, arm]) => ({ key: id, value: JSON.stringify({ schemaVersion: 1, requestId: id, label: arm === busiest ? 'bad' : 'good', source: 'reviewer' }) }));
      await producer.send({ topic: 'llm.feedback', messages });
      line(`feedback: a reviewer judged ${messages.length} answers on llm.feedback — every answer from ${busiest} bad, the others good`);
      // Feedback is learnt asynchronously; give the router a moment before the second half.
      await new Promise((r) => setTimeout(r, 2_000));
      return busiest;
    }

    const deadline = Date.now() + 60_000;
    while (tracked.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    clearInterval(progress);

    // The response cache: the faq class reads it before routing, so a question asked again (even
    // reworded) costs no provider call.
    line(`cache: asking ${FAQ.length} faq questions, then each again reworded (class faq: read-write, semantic)`);
    for (const round of [0, 1]) {
      for (const [i, pair] of FAQ.entries()) {
        const id = `demo-faq-${i}-${round ? 'again' : 'first'}-${randomUUID().slice(0, 8)}`;
        tracked.set(id, { sentAt: Date.now(), phase: 2 });
        const request: RequestV1Input = { schemaVersion: 1, id, tenant: 'demo', class: 'faq', messages: [{ role: 'user', content: pair[round] }], params: { maxTokens: 200 } };
        await producer.send({ topic: 'llm.requests', messages: [{ key: id, value: JSON.stringify(request) }] });
      }
      const until = Date.now() + 30_000;
      while (tracked.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    }
    await producer.disconnect();
    await consumer.disconnect();

    latencies.sort((a, b) => a - b);
    const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
    const published = total + 2 * FAQ.length;
    process.stdout.write(
      [
        '',
        'Summary',
        `  requests published   ${published} in ${((Date.now() - run) / 1000).toFixed(1)} s (${total} in the stream, ${2 * FAQ.length} faq questions)`,
        `  answered by an arm   ${answered}`,
        `  answered from cache  ${fromCache} (no provider call, no cost)`,
        `  failed (classified)  ${failed}`,
        `  sent to the DLQ      ${dlq} (malformed on purpose)`,
        `  unanswered           ${tracked.size}`,
        `                       ${answered + fromCache + failed + dlq + tracked.size === published ? '= every request published, each counted once' : `≠ ${published}: a response was counted twice or is missing`}`,
        `  needed a fallback    ${withFallback}`,
        outage
          ? `  during the outage    ${during.answered} answered while ${outage.arm} was down: ${during.fellBack} tried it and fell back, ${during.routedAround} went to other arms without trying it, ${during.failed} failed`
          : '  during the outage    (no outage: fewer requests than it needs)',
        `  latency p50 / p95    ${q(0.5)} ms / ${q(0.95)} ms (publish → response, at the client)`,
        `  cost                 $${cost.toFixed(6)}`,
        `  served by            ${[...servedBy].map(([arm, n]) => `${arm} ${n}`).join(', ')}`,
        '',
        'The router learning from feedback (share of answers per arm)',
        `  before the feedback  ${shares(servedIn[0])}`,
        `  after the feedback   ${shares(servedIn[1])}`,
        judged ? `  judged bad           ${judged}: ${pct(servedIn[0], judged)} of answers before, ${pct(servedIn[1], judged)} after` : '',
        '',
      ].join('\n'),
    );
    if (tracked.size > 0) process.exitCode = 1;
  } finally {
    await shutdown();
  }
}

function shares(served: Map<string, string>): string {
  const counts = new Map<string, number>();
  for (const arm of served.values()) counts.set(arm, (counts.get(arm) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([arm, n]) => `${arm} ${((100 * n) / Math.max(1, served.size)).toFixed(0)}%`).join(', ') || '–';
}

function pct(served: Map<string, string>, arm: string): string {
  const n = [...served.values()].filter((a) => a === arm).length;
  return `${((100 * n) / Math.max(1, served.size)).toFixed(0)}%`;
}

function start(name: string, script: string, env: Record<string, string>, readyLine: RegExp) {
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolveReady, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (readyLine.test(out)) resolveReady();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      onData(d);
      process.stderr.write(`[${name}] ${d.toString()}`);
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready:\n${out}`)));
    setTimeout(() => reject(new Error(`${name} not ready after 60 s:\n${out}`)), 60_000).unref();
  });
  return { child, ready };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 35_000)))]);
  // The grace timer must not keep the demo alive once the child has exited.
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function line(text: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${(err as Error).message}\n`);
  process.exit(1);
});
