// Renders bench/results/throughput.md from the machine-readable results.
import { referenceBreakdown } from './reference';
import type { BenchResults } from './results';

const fmt = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toLocaleString('en-US'));

export function renderMarkdown(r: BenchResults): string {
  const { instant, slow } = r.results;
  const env = r.environment;
  const L: string[] = [];
  L.push(`# Router throughput benchmark (issues 2 and 14)${r.config.quick ? ' — quick run (regression guard)' : ''}`);
  L.push('');
  L.push(`Variant: **${r.variant}**.`);
  L.push('');
  L.push(`Run ${r.startedAt} → ${r.finishedAt} (${r.durationS} s). Command (from the repository root):`);
  L.push('');
  L.push('```');
  L.push(`export PATH=$PWD/node_modules/.bin:$PATH   # Node 24 from the npm "node" package`);
  L.push(r.command);
  L.push('```');
  L.push('');
  L.push(
    `Machine: ${env.cpuCount} CPUs (${String(env.cpuModel)}), ${String(env.totalMemoryGb)} GiB, ${String(env.platform)}, Node ${env.node}, ` +
      `Kafka ${env.kafkaVersion} (${String(env.kafkaSource)}${env.kafkaJvmOpts ? `, KAFKA_JVM_OPTS=${String(env.kafkaJvmOpts)}` : ''}), kafkajs ${String(env.kafkajs)}.`,
  );
  L.push('');
  L.push(`Load average at start ${JSON.stringify(env.loadAverageAtStart)}, at end ${JSON.stringify(env.loadAverageAtEnd)} (1/5/15 min) — other people's jobs on the same machine show up in the "other processes" CPU column below.`);
  L.push('');
  L.push(`Code: git ${String(env.gitCommit).slice(0, 12)} plus ${String(env.gitUncommittedFiles)} uncommitted/untracked paths in the working tree at run time (other work in progress is included in the build).`);
  L.push('');
  L.push(`**All four processes share these ${env.cpuCount} CPUs** — router (1 Node process), Kafka broker (JVM), provider-sim (1 Node process) and the load generator + response collector (1 Node process). Loopback only. Numbers are per router instance on this shared box; a dedicated core for the router would raise them.`);
  L.push('');
  L.push(`Setup: one router instance, request/response topics with ${r.config.partitions} partitions, one arm (${r.config.simModel} on provider-sim's OpenAI API, ${r.config.simOutputTokens} output tokens), router defaults unless noted (ROUTER_MAX_IN_FLIGHT=256, ROUTER_PARTITIONS_CONCURRENCY=32, ROUTER_COMMIT_INTERVAL_MS=200, LOG_LEVEL=log), ${r.config.otel ? 'OpenTelemetry SDK on (every span exported over OTLP/HTTP protobuf to a sink in the load generator that acknowledges each export)' : 'OpenTelemetry SDK off (OTEL_SDK_DISABLED=true: no trace collector runs during the bench)'}.`);
  L.push('');

  L.push('## Goals');
  L.push('');
  L.push('| goal | target | measured | met? |');
  L.push('|---|---|---|---|');
  for (const g of r.goals) L.push(`| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? 'yes' : '**no**'} |`);
  L.push('');

  const ref = referenceBreakdown(instant);
  if (ref && instant.reference) {
    const c = ref.cpuMsPerRequest;
    const sdk = instant.reference.sdk;
    L.push('## Against the physical limit of this machine (same run, same broker, same simulator)');
    L.push('');
    L.push(
      'A bare Kafka echo (`bench/throughput/echo-process.ts`: consume → produce with the router\'s Kafka client, consumer and producer settings; no decoding, routing or provider call) goes through the same warm-up, paced and steady-state phases as the router, and a bare SDK call loop (`sdk-loop-process.ts`: the OpenAI SDK over the router\'s undici transport, nothing around it) calls the same instant simulator. ' +
        'Ratios to the echo carry over between machines better than absolute figures.',
    );
    L.push('');
    L.push('| | router | bare Kafka echo | router ÷ echo |');
    L.push('|---|---|---|---|');
    L.push(`| steady-state throughput (responses/s) | ${fmt(ref.throughput.router)} | ${fmt(ref.throughput.echo)} (requests produced at ${fmt(instant.reference.echo.steady.produce.rate)}/s) | **${fmt(ref.throughput.ratio)}** |`);
    for (const a of ref.addedLatency) {
      L.push(`| added latency at ${fmt(a.rate)} req/s, p50 / p99 (ms)${a.saturated ? ' (saturated)' : ''} | ${a.router.p50} / ${a.router.p99} | ${a.echo.p50} / ${a.echo.p99} | **${fmt(a.ratio.p50)} / ${fmt(a.ratio.p99)}** |`);
    }
    L.push('');
    L.push('Router CPU per request (steady state), split:');
    L.push('');
    L.push('| router | = Kafka round trip (echo) | + provider call (SDK loop) | + the router\'s own share |');
    L.push('|---|---|---|---|');
    L.push(`| ${fmt(c.router)} ms | ${fmt(c.echo)} ms | ${fmt(c.providerCall)} ms | **${fmt(c.ownShare)} ms** |`);
    L.push('');
    L.push(
      `SDK loop: ${fmt(sdk.calls)} calls, ${sdk.concurrency} at a time, ${fmt(sdk.callsPerS)} calls/s, ${sdk.failed} failed (after 2,000 warm-up calls). ` +
        'The own share is what decoding, validation, the idempotency store, routing, learning, response building and the publisher cost beyond the echo and the SDK call. ' +
        'The echo builds its response without parsing the request and has no idempotency store or offset tracker, so it is a floor no router reaches, not a peer; ' +
        'its steady state usually keeps up with the load generator, so its throughput is bounded by the produce rate shown, and the ratio is then an upper bound of the router\'s share of the machine\'s limit.',
    );
    L.push('');
  }
  L.push('## (a) Instant provider (provider-sim latencyScale 0)');
  L.push('');
  L.push('| phase | requests answered | **responses/s** (first→last response) | best 2 s window | end-to-end rate | produce rate | sim peak in-flight | router peak in-flight | router CPU per response | ⇒ one dedicated core could do | failed |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  const t = (name: string, x: typeof instant.drain, e2eLabel: string) =>
    L.push(
      `| ${name} | ${fmt(x.received)}/${fmt(x.requests)} | **${fmt(x.responsesPerS)}** (${x.firstToLastS} s) | ${fmt(x.peak2sPerS)} | ${fmt(x.endToEndPerS)} ${e2eLabel} | ${fmt(x.produce.rate)} req/s | ${fmt(x.simPeakInFlight)} | ${fmt(x.routerPeakInFlight)} | ${fmt(x.routerCpuMsPerResponse)} ms | ${fmt(x.projectedPerCorePerS)} req/s | ${fmt(x.failed)} |`,
    );
  t('drain a backlog (all produced before the router starts)', instant.drain, '(router ready → last)');
  t('steady state (produce as fast as possible while the router consumes)', instant.steady, '(first produce → last)');
  L.push('');
  for (const [name, x] of [['drain', instant.drain], ['steady state', instant.steady]] as const) {
    if (!x.complete) L.push(`**${name}: not every response arrived within the ${x.capS} s cap** (${fmt(x.received)} of ${fmt(x.requests)}); the rate is over the responses that did.`);
  }
  L.push('');
  L.push(`Router start-up (spawn → "ready" log line): ${instant.routerStartupS} s (not counted in any rate). The drain runs on its own topics and router; the paced phases then the steady-state phase run on a second router with fresh topics (paced first, so no leftover backlog can inflate their latency), after ${r.config.routerWarmup ?? 0} unmeasured warm-up requests (JIT). ${r.config.brokerWarmupS && r.environment.kafkaStartedByBench ? `The broker this run started was warmed for ${r.config.brokerWarmupS} s first.` : ''}`);
  L.push('');
  L.push('### Added latency under a paced load (rows marked saturated are above what the router sustained on this run)');
  L.push('');
  L.push('| load | sent / received | end-to-end p50 / p99 | simulator handling p50 | **router-added p50 / p99** | Kafka-timestamp in-router p50 / p99 | router route() p50 / p99 | route() minus simulator p50 |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const p of instant.paced) {
    L.push(
      `| ${p.targetRate} req/s × ${p.seconds} s (achieved ${p.achievedSendRate}/s)${p.saturated ? ` — **saturated** (${fmt(p.backlogAtSendEnd)} unanswered when sending ended; latency is mostly queueing)` : ''} | ${fmt(p.sent)} / ${fmt(p.received)} | ${p.e2eMs.p50} / ${p.e2eMs.p99} ms | ${p.simHandlingMs.p50} ms | **${p.addedMs.p50} / ${p.addedMs.p99} ms** | ${p.kafkaTsInRouterMs.p50} / ${p.kafkaTsInRouterMs.p99} ms | ${p.routerRouteMs.p50} / ${p.routerRouteMs.p99} ms | ${p.routerOverheadInRouteMs.p50} ms |`,
    );
  }
  L.push('');
  L.push('Decomposition of one request, p50 / p99 of each leg (ms; Date.now() resolution; percentiles of each leg, so they need not add up):');
  L.push('');
  L.push('| load | inbound: request CreateTime → provider call arrives at sim | provider (sim handling) | router after provider: sim answer → response CreateTime | outbound: response CreateTime → client has it |');
  L.push('|---|---|---|---|---|');
  for (const p of instant.paced) {
    const b = p.breakdownP50Ms;
    const t = p.breakdownP99Ms ?? { inbound: NaN, provider: NaN, routerAfterProvider: NaN, outbound: NaN };
    L.push(`| ${p.targetRate} req/s | ${b.inbound} / ${t.inbound} | ${b.provider} / ${t.provider} | ${b.routerAfterProvider} / ${t.routerAfterProvider} | ${b.outbound} / ${t.outbound} |`);
  }
  L.push('');
  const loops = instant.paced.filter((p) => p.routerLoop);
  if (loops.length) {
    L.push("The router's own waits during each paced phase (`bench/support/loop-stats-preload.ts`: how late a 10 ms timer fired, and garbage-collection pauses):");
    L.push('');
    L.push('| load | event-loop delay p50 / p99 / max (ms) | minor GC: count, total, longest (ms) | major + incremental GC: count, total, longest (ms) |');
    L.push('|---|---|---|---|');
    for (const p of loops) {
      const l = p.routerLoop!;
      const g = (k: string) => l.gc[k] ?? { count: 0, totalMs: 0, maxMs: 0 };
      const major = { count: g('major').count + g('incremental').count, totalMs: g('major').totalMs + g('incremental').totalMs, maxMs: Math.max(g('major').maxMs, g('incremental').maxMs) };
      L.push(`| ${p.targetRate} req/s | ${l.eventLoopDelayMs.p50} / ${l.eventLoopDelayMs.p99} / ${l.eventLoopDelayMs.max} | ${g('minor').count}, ${g('minor').totalMs}, ${g('minor').maxMs} | ${major.count}, ${Math.round(major.totalMs * 100) / 100}, ${major.maxMs} |`);
    }
    L.push('');
  }
  L.push('CPU used per process during each phase (cores = CPU seconds / wall seconds, from /proc; 2.0 = both cores):');
  L.push('');
  L.push('| phase | router | Kafka broker | provider-sim | load generator + collector | **other processes on the machine** | machine total | router CPU per response |');
  L.push('|---|---|---|---|---|---|---|---|');
  const cpuRow = (name: string, c: Record<string, number | null>, perResponse?: number | null) => {
    L.push(`| ${name} | ${fmt(c.router)} | ${fmt(c.broker)} | ${fmt(c.providerSim)} | ${fmt(c.loadGenerator)} | ${fmt(c.others)} | ${fmt(c.machine)} | ${perResponse === undefined ? '' : `${fmt(perResponse)} ms`} |`);
  };
  cpuRow('drain', instant.drain.cpuCores, instant.drain.routerCpuMsPerResponse);
  cpuRow('steady state', instant.steady.cpuCores, instant.steady.routerCpuMsPerResponse);
  for (const p of instant.paced) cpuRow(`paced ${p.targetRate} req/s`, p.cpuCores, p.routerCpuMsPerResponse);
  for (const x of slow) cpuRow(`2 s latency, in-flight ${x.maxInFlight}`, x.cpuCores);
  L.push('');
  L.push('What each number includes:');
  L.push('');
  L.push('- **responses/s (first→last response)**: (responses − 1) / (client receive time of the last response − of the first). Counted at the client (a kafkajs consumer on the responses topic), one per request id; includes everything the router does per request (fetch, decode, zod validation, idempotency store, SDK call over HTTP to the simulator, response build, batched acks=all produce) but not router start-up or group join.');
  L.push('- **router CPU per response**: the router process\'s CPU time (utime+stime from /proc) during the phase / responses in the phase. It does not depend on how many cores the router got, so **1000 / it** is what the router could reach on one dedicated core at that per-request cost (Node runs the router on one main thread; GC and libuv threads add a little parallelism).');
  L.push('- **best 2 s window**: most responses seen in any 2 s window, ×0.5.');
  L.push('- **end-to-end rate**: responses / (last response − router ready) for the drain; / (last response − first produce call) for the steady state.');
  L.push('- **end-to-end**: client clock, from just before `producer.send()` of the request to the moment the consumer batch holding the response reached the collector. Includes the client produce (acks=all), broker append, the router\'s fetch, everything in the router, the simulator, the router\'s produce (BatchingPublisher sends at the end of the tick, or once the send in flight is acknowledged; ROUTER_PUBLISH_LINGER_MS adds a wait), broker append and the client\'s fetch. Requests of the first second of each paced phase are warm-up and excluded.');
  L.push('- **simulator handling**: the simulator\'s own call-log `latencyMs` for that request (arrival → response written, inside the sim). **router-added = end-to-end − simulator handling** (the issue\'s "added latency through Kafka").');
  L.push('- **Kafka-timestamp in-router**: response record CreateTime − request record CreateTime − simulator handling. Both are producer create times (the client sets the request\'s explicitly at send; kafkajs stamps the router\'s response when it encodes the produce request). Includes the request\'s path through the broker and the router\'s fetch, and everything in the router up to the response produce; excludes the response\'s broker append and the client\'s fetch. 1 ms resolution.');
  L.push('- **router route()**: `latencyMs` of response v1 — the router\'s own clock around `Router.route()`: arm selection + provider SDK call (HTTP round trip to the sim). Excludes Kafka, decode and publish. **route() minus simulator** = SDK + HTTP client + routing-loop overhead.');
  L.push('');

  if (slow.length === 0) L.push('## (b) Provider latency 2 s: not run (`--quick`)');
  else L.push('## (b) Provider latency 2 s (medianMs = p95Ms = 2000: every call takes 2.0 s)');
  L.push('');
  if (slow.length > 0) {
    L.push('| ROUTER_MAX_IN_FLIGHT | backlog | **sustained responses/s** | Little\'s-law bound (max in-flight / 2 s) | sim peak in-flight | router peak in-flight | end-to-end p50 (queueing included) | failed |');
    L.push('|---|---|---|---|---|---|---|---|');
    for (const s of slow) {
      L.push(`| ${s.maxInFlight}${s.maxInFlight === 256 ? ' (default)' : ''} | ${fmt(s.backlog)} | **${fmt(s.sustainedPerS)}** | ${fmt(s.theoreticalPerS)} | ${fmt(s.simPeakInFlight)} | ${fmt(s.routerPeakInFlight)} | ${fmt(s.e2eMs.p50)} ms | ${fmt(s.failedInWindow)} |`);
    }
    L.push('');
    L.push(`Sustained = responses received in [first response, first response + ${slow[0]?.windowS ?? r.config.slowWindowS} s) / ${slow[0]?.windowS ?? r.config.slowWindowS} s, with a backlog large enough that the router never runs dry (the window spans a whole number of 2 s provider round trips, so the start-up wave is not over- or under-counted). Sim peak in-flight = the simulator's \`peakInFlight\` (concurrent HTTP calls it saw); router peak in-flight = the transport's \`peakInFlight\` from \`GET /health/ready\`.`);
    L.push('');
  }
  L.push('');
  if (instant.profile) {
    const p = instant.profile;
    L.push('## CPU profile of the router (instant provider; `BENCH_PROFILE=1`, rates above are perturbed by profiling)');
    L.push('');
    L.push(`Profile: ${p.file ?? ''} — wall ${p.wallS} s, busy ${p.busyS} s, idle ${p.idlePct}%.`);
    L.push('');
    L.push('| area | self time | share of busy |');
    L.push('|---|---|---|');
    for (const a of p.byArea.slice(0, 12)) L.push(`| ${a.area} | ${a.selfMs} ms | ${a.selfPct}% |`);
    L.push('');
    L.push('Top functions by self time:');
    L.push('');
    L.push('| function | where | self | share |');
    L.push('|---|---|---|---|');
    for (const f of p.topFunctions.slice(0, 25)) L.push(`| \`${f.name}\` | ${f.location} | ${f.selfMs} ms | ${f.selfPct}% |`);
    L.push('');
    if (p.topInclusive?.length) {
      L.push('Top functions by inclusive time (self + callees):');
      L.push('');
      L.push('| function | where | inclusive | share |');
      L.push('|---|---|---|---|');
      for (const f of p.topInclusive.slice(0, 30)) L.push(`| \`${f.name}\` | ${f.location} | ${f.selfMs} ms | ${f.selfPct}% |`);
      L.push('');
    }
  }
  return L.join('\n') + '\n';
}
