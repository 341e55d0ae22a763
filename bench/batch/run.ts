// bench:batch — issue 24's mixed scenario through real Kafka, the router process and provider-sim:
// interactive requests mixed with deadline-tolerant ones (deadlines 5 min to 24 h), batch
// completion times heavy-tailed (log-normal, median 10 min, P95 1 h, as the simulator's default),
// a share of batches that expire, and the router killed -9 mid-run and restarted. The same request
// stream runs twice: live-only (BATCH_ENABLED=false) and batch-aware; time is compressed by
// --time-scale (simulated latencies, batch times and deadlines alike).
//   npm run bench:batch -- [--requests 400] [--interactive 0.3] [--time-scale 0.001] [--expire-rate 0.1]
//                          [--live-budget-ms 1500] [--seed 7] [--out dir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, sleep } from '../support/env';
import { ensureBroker } from '../support/kafka-broker';
import { benchKafka, consumeFromBeginning, createTopics, deleteTopics, ResponseCollector, uniqueTopics } from '../support/kafka-io';
import { randomUUID } from 'node:crypto';
import { silenceTimeoutNegativeWarning } from '../support/quiet-warnings';
import { startRouter, stopRouter, type RouterProcess } from '../support/router-process';
import { armYaml, writeRoutingYaml } from '../support/routing-yaml';
import { startSimProcess } from '../support/sim-process';
import { accountMix, planMix, type MixOutcome, type PlannedRequest, type Seen } from './mix';

interface Args {
  requests: number;
  interactive: number;
  timeScale: number;
  expireRate: number;
  seed: number;
  ratePerS: number;
  /** BATCH_LIVE_BUDGET_MS: real ms (Kafka, the router and its restart are not compressed). */
  liveBudgetMs: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  return {
    requests: Number(get('requests', '400')),
    interactive: Number(get('interactive', '0.3')),
    timeScale: Number(get('time-scale', '0.001')),
    expireRate: Number(get('expire-rate', '0.1')),
    seed: Number(get('seed', '7')),
    ratePerS: Number(get('rate', '40')),
    liveBudgetMs: Number(get('live-budget-ms', '1500')),
    out: get('out', join(REPO_ROOT, 'bench', 'results', 'batch')),
  };
}

async function runArm(name: 'live-only' | 'batch-aware', plan: PlannedRequest[], args: Args, brokers: string[]): Promise<MixOutcome & { arm: string; killedAfter: number; wallS: number; discardedBatchResults: number; duplicatedIds: number; duplicatesNotByteIdentical: number; duplicatedBatchAnswers: number }> {
  const kafka = benchKafka(brokers);
  const topics = uniqueTopics(`batch-${name}`);
  await createTopics(kafka, topics.all, 6);
  // The batch APIs' default completion times (median 10 min, P95 1 h, 24 h window), scaled with the rest.
  process.env.SIM_BATCH = JSON.stringify({ expireRate: args.expireRate });
  const sim = await startSimProcess({ seed: args.seed, models: [{ name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 800, p95Ms: 2_500 } }] }, args.timeScale);
  const table = writeRoutingYaml('switchyard-bench-batch-', [
    'providers:',
    '  sim-openai:',
    '    kind: openai',
    `    baseUrl: ${sim.url}/openai/v1`,
    'arms:',
    ...armYaml({ id: 'gpt-4o-mini', provider: 'sim-openai', model: 'gpt-4o-mini', pricing: { inputPer1M: 0.15, outputPer1M: 0.6 }, contextWindow: 128000, connectMs: 2000, totalMs: 30000 }),
    'classes:',
    // A deadline-tolerant class: waiting costs it nothing, so the batch price wins when it is in time.
    '  tolerant: { batch: allow, latencyUsdPerSecond: 0 }',
  ]);
  const s = args.timeScale;
  const env = {
    ...topics.routerEnv,
    ROUTING_TABLE: table,
    KAFKA_BROKERS: brokers.join(','),
    OTEL_SDK_DISABLED: 'true',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
    BATCH_ENABLED: name === 'batch-aware' ? 'true' : 'false',
    TOPIC_BATCH_LEDGER: `${topics.tag}.batches`,
    TOPIC_BATCH_REQUESTS: `${topics.tag}.batch-requests`,
    // In compressed time: a collector of ≈ 3 simulated minutes, the default 30 s poll and 2 min live budget.
    BATCH_MAX_AGE_MS: '200',
    BATCH_POLL_INTERVAL_MS: String(Math.max(100, Math.round(30_000 * s))),
    // What a live rescue needs at worst in real time (Kafka hops and the poll are not compressed).
    BATCH_LIVE_BUDGET_MS: String(args.liveBudgetMs),
    // The simulator's documented-shape prior, scaled (the learner takes over after 5 batches).
    BATCH_COMPLETION_MEDIAN_MS: String(Math.round(600_000 * s)),
    BATCH_COMPLETION_P95_MS: String(Math.round(3_600_000 * s)),
  };
  const seen = new Map<string, Seen>();
  const sentAt = new Map<string, number>();
  const collector = await new ResponseCollector(kafka, topics.responses, (id, body, receivedAt) => {
    const r = body as { status: string; usage?: { costUsd: number }; servedVia?: string };
    seen.set(id, { afterMs: receivedAt - (sentAt.get(id) ?? receivedAt), status: r.status, costUsd: r.usage?.costUsd ?? 0, servedVia: r.servedVia, records: 1 });
  }).start();
  // Records per request id and whether a duplicate is a byte-identical re-publish.
  const records = new Map<string, Buffer[]>();
  const counter = await consumeFromBeginning(kafka, topics.responses, { groupId: `bench-batch-count-${randomUUID()}`, maxWaitTimeInMs: 500 }, async ({ batch }) => {
    for (const m of batch.messages) {
      const id = m.key?.toString() ?? '';
      records.set(id, [...(records.get(id) ?? []), m.value ?? Buffer.alloc(0)]);
    }
  });
  let router: RouterProcess = await startRouter({ env });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = Date.now();
  let discardedBatchResults = 0;
  const killAt = Math.floor(plan.length / 2);
  try {
    for (let i = 0; i < plan.length; i++) {
      if (i === killAt) {
        // kill -9 with batches open and offsets uncommitted; a new replica takes over.
        router.kill('SIGKILL');
        await router.exited;
        writeFileSync(join(args.out, `${name}-router-1.log`), router.output());
        router = await startRouter({ env });
      }
      const p = plan[i];
      sentAt.set(p.id, Date.now());
      await producer.send({ topic: topics.requests, messages: [{ key: p.id, value: JSON.stringify(p.request) }] });
      await sleep(1_000 / args.ratePerS);
    }
    const lastDeadline = Math.max(...plan.map((p) => (sentAt.get(p.id) ?? 0) + p.deadlineMs));
    while (collector.count < plan.length && Date.now() < lastDeadline + 10_000) await sleep(200);
    await sleep(2_000);
    // Batch work the provider did (and bills) whose result was not the published answer: rescued requests.
    const batches = (await (await fetch(`${sim.url}/_sim/batches`)).json()) as Array<{ results: Record<string, number> | null }>;
    const succeeded = batches.reduce((n, b) => n + (b.results?.succeeded ?? 0), 0);
    discardedBatchResults = Math.max(0, succeeded - [...seen.values()].filter((v) => v.servedVia === 'batch').length);
  } finally {
    await producer.disconnect();
    await stopRouter(router);
    writeFileSync(join(args.out, `${name}-router-2.log`), router.output());
    await collector.stop();
    await counter.disconnect();
    await sim.close();
    await deleteTopics(kafka, [...topics.all, `${topics.tag}.batches`, `${topics.tag}.batch-requests`]).catch(() => undefined);
  }
  for (const [id, v] of seen) seen.set(id, { ...v, records: records.get(id)?.length ?? 1 });
  const outcome = accountMix(plan, seen);
  const duplicated = [...records].filter(([, values]) => values.length > 1);
  const differing = duplicated.filter(([, values]) => values.some((v) => !v.equals(values[0]))).length;
  const duplicatedBatchAnswers = duplicated.filter(([id]) => seen.get(id)?.servedVia === 'batch').length;
  // Charged at the mean batch answer's cost (the rescue paid both, as decideBatch assumes).
  const batchAnswers = [...seen.values()].filter((v) => v.servedVia === 'batch');
  const meanBatchCost = batchAnswers.length ? batchAnswers.reduce((c, v) => c + v.costUsd, 0) / batchAnswers.length : 0;
  const discardedUsd = discardedBatchResults * meanBatchCost;
  const costUsd = outcome.costUsd + discardedUsd;
  const perRequest = plan.map((p) => ({ id: p.id, kind: p.kind, deadlineMs: p.deadlineMs, ...seen.get(p.id) }));
  writeFileSync(join(args.out, `${name}-requests.json`), JSON.stringify(perRequest, null, 1));
  return {
    arm: name,
    ...outcome,
    costUsd,
    costPerGoodUsd: outcome.good ? costUsd / outcome.good : Infinity,
    discardedBatchResults,
    duplicatedIds: duplicated.length,
    duplicatesNotByteIdentical: differing,
    duplicatedBatchAnswers,
    killedAfter: killAt,
    wallS: Math.round((Date.now() - started) / 1000),
  };
}

async function main(): Promise<void> {
  silenceTimeoutNegativeWarning();
  const args = parseArgs(process.argv.slice(2));
  const plan = planMix({ requests: args.requests, interactiveShare: args.interactive, timeScale: args.timeScale, seed: args.seed });
  mkdirSync(args.out, { recursive: true });
  const broker = ensureBroker();
  try {
    const live = await runArm('live-only', plan, args, broker.brokers);
    const batch = await runArm('batch-aware', plan, args, broker.brokers);
    const summary = { args, requests: plan.length, tolerant: plan.filter((p) => p.kind === 'tolerant').length, arms: [live, batch], costPerGoodRatio: batch.costPerGoodUsd / live.costPerGoodUsd };
    writeFileSync(join(args.out, 'summary.json'), JSON.stringify(summary, null, 2));
    const row = (o: typeof live) =>
      `| ${o.arm} | ${o.answered}/${o.requests} | ${o.lost} | ${o.duplicates} (${o.duplicatesNotByteIdentical} not byte-identical, ${o.duplicatedBatchAnswers} batch answers) | ${o.deadlineMisses} | ${o.good} | ${o.costUsd.toFixed(6)} | ${o.costPerGoodUsd.toExponential(3)} | ${o.batched} | ${o.discardedBatchResults} | ${o.interactiveP50Ms.toFixed(0)} / ${o.interactiveP95Ms.toFixed(0)} |`;
    const md = [
      `# bench:batch (seed ${args.seed}, ${plan.length} requests, ${summary.tolerant} deadline-tolerant, time scale ${args.timeScale}, expire rate ${args.expireRate}, live budget ${args.liveBudgetMs} ms, kill -9 at request ${live.killedAfter})`,
      '',
      '| arm | answered | lost | duplicate records | deadline misses | good | cost USD (incl. discarded batch work) | cost per good answer | tolerant answered by batch | batch results discarded | interactive P50 / P95 ms |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      row(live),
      row(batch),
      '',
      `cost per good answer, batch-aware / live-only: ${summary.costPerGoodRatio.toFixed(3)}`,
    ].join('\n');
    writeFileSync(join(args.out, 'report.md'), `${md}\n`);
    process.stdout.write(`${md}\n`);
  } finally {
    broker.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:batch failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
