import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { startProviderSim, type ProviderSim } from '../../apps/provider-sim/src';
import { sleep, startCaptureSink } from '../support/drills';
import { connectProducer, createTopics, publishRaw, request, testKafka, TopicCollector, uniqueTopics } from '../support/kafka-io';
import { routingTableFor, startRouter, stopRouter, type RouterProcess } from '../support/router-process';

/**
 * A provider that rejects every key with a 401 whose message repeats the key in full, the way a
 * careless proxy might: the router must redact it before it reaches any log, span or record.
 */
async function startEchoingProvider(): Promise<{ url: string; keysSeen: string[]; close(): Promise<void> }> {
  const keysSeen: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /i, '');
      keysSeen.push(key);
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}`, type: 'invalid_request_error', code: 'invalid_api_key' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, keysSeen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('drill: secrets and tenant isolation', () => {
  let sim: ProviderSim;
  let kafka: Kafka;
  let producer: Producer;
  const routers: RouterProcess[] = [];
  const collectors: TopicCollector[] = [];

  beforeAll(async () => {
    sim = await startProviderSim({ seed: 26, config: { models: [
      { name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 20, p95Ms: 40 } },
      { name: 'claude-haiku-4-5', api: 'anthropic', latency: { medianMs: 20, p95Ms: 40 } },
    ] } });
    kafka = testKafka();
    producer = await connectProducer(kafka);
  });

  afterAll(async () => {
    await Promise.all([...collectors.map((c) => c.stop()), producer?.disconnect()]);
    await Promise.all(routers.map((r) => stopRouter(r)));
    await sim?.close();
  });

  it('never lets a provider API key reach logs, spans, metrics, health or any topic', async () => {
    const topics = uniqueTopics('drill-secrets');
    const outcomes = `${topics.tag}.outcomes`;
    await createTopics(kafka, [topics.requests, topics.responses, topics.dlq, topics.escalations, outcomes]);
    const [responses, dlq, escalations, outcomeLog] = await Promise.all(
      [topics.responses, topics.dlq, topics.escalations, outcomes].map((t) => new TopicCollector(kafka, t).start()),
    );
    collectors.push(responses, dlq, escalations, outcomeLog);
    const tag = randomBytes(6).toString('hex');
    // Keys with 'invalid' get a 401 from the simulator; the echoing provider rejects any key.
    const keys = {
      env: `sk-invalid-SECRET-env-${tag}`,
      file: `sk-ant-invalid-SECRET-file-${tag}`,
      echo: `proxy-SECRET-echo-${tag}`, // no sk- prefix: only the list of configured keys can redact it
      good: `sk-SECRET-good-${tag}`,
    };
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-secrets-'));
    writeFileSync(join(dir, 'anthropic.key'), `${keys.file}\n`);
    writeFileSync(join(dir, 'good.key'), `${keys.good}\n`);
    const echo = await startEchoingProvider();
    const spans = await startCaptureSink();
    const table = join(dir, 'routing.yaml');
    writeFileSync(table, [
      'providers:',
      `  bad-openai: { kind: openai, baseUrl: ${sim.url}/openai/v1, apiKeyEnv: DRILL_OPENAI_KEY }`,
      `  bad-anthropic: { kind: anthropic, baseUrl: ${sim.url}/anthropic, apiKeyFile: ${join(dir, 'anthropic.key')} }`,
      `  echo: { kind: openai-compatible, baseUrl: ${echo.url}/v1, apiKeyEnv: DRILL_ECHO_KEY }`,
      `  good: { kind: openai, baseUrl: ${sim.url}/openai/v1, apiKeyFile: ${join(dir, 'good.key')} }`,
      'arms:',
      ...[['a-bad-openai', 'bad-openai', 'gpt-4o-mini'], ['b-bad-anthropic', 'bad-anthropic', 'claude-haiku-4-5'], ['c-echo', 'echo', 'gpt-4o-mini'], ['d-good', 'good', 'gpt-4o-mini']].flatMap(
        ([id, provider, model]) => [`  - { id: ${id}, provider: ${provider}, model: ${model}, pricing: { inputPer1M: 1, outputPer1M: 2 }, contextWindow: 128000, maxOutputTokens: 4096 }`],
      ),
      'policy: { selector: static-chain }',
      'resilience:',
      '  breaker: { consecutiveFailures: 1000, minimumCalls: 1000 }',
      '  escalation: { afterFailedAttempts: 1 }',
    ].join('\n') + '\n');

    let router: RouterProcess;
    routers.push(
      (router = await startRouter({
        ...topics.env(),
        TOPIC_OUTCOMES: outcomes,
        ROUTING_TABLE: table,
        DRILL_OPENAI_KEY: keys.env,
        DRILL_ECHO_KEY: keys.echo,
        LOG_LEVEL: 'verbose',
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: spans.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      })),
    );
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `k-${i}`);
      // These may only use the three arms whose key is refused: they fail (auth) and are escalated.
      const denied = Array.from({ length: 10 }, (_, i) => `k-denied-${i}`);
      await publishRaw(producer, topics.requests, [
        ...ids.map((id) => ({ key: id, value: JSON.stringify(request(id)) })),
        ...denied.map((id) => ({ key: id, value: JSON.stringify(request(id, { routing: { models: ['a-bad-openai', 'b-bad-anthropic', 'c-echo'] } })) })),
        { key: 'k-poison', value: '{"not":"a request"' },
      ]);
      await responses.waitFor((c) => [...ids, ...denied].every((id) => c.byKey().has(id)), 60_000, 'every request answered');
      await dlq.waitFor((c) => c.records.length >= 1, 30_000, 'the poison message in the DLQ');
      await escalations.waitFor((c) => c.records.length >= denied.length, 30_000, 'an escalation per failed request');

      // Every request was served by the good provider, after 401s only. Each bad provider's key was
      // really sent (a 401 from each); once refused, an arm leaves rotation (dead credentials), so
      // requests routed later skip it instead of repeating the 401.
      const answers = responses.byKey();
      const refusedArms = new Set<string>();
      for (const id of ids) {
        const r = answers.get(id)![0].json as { status: string; attempts: Array<{ arm: string; outcome: string }>; servedBy?: { arm: string } };
        expect([id, r.status, r.servedBy?.arm]).toEqual([id, 'ok', 'd-good']);
        const before = r.attempts.slice(0, -1);
        expect(before.map((a) => a.outcome)).toEqual(before.map(() => 'auth'));
        for (const a of before) refusedArms.add(a.arm);
      }
      for (const id of denied) {
        const r = answers.get(id)![0].json as { attempts: Array<{ arm: string; outcome: string }> };
        for (const a of r.attempts) if (a.outcome === 'auth') refusedArms.add(a.arm);
      }
      expect([...refusedArms].sort()).toEqual(['a-bad-openai', 'b-bad-anthropic', 'c-echo']);
      for (const id of denied) {
        const r = answers.get(id)![0].json as { status: string; error?: { kind: string } };
        expect([id, r.status, r.error?.kind]).toEqual([id, 'failed', 'auth']);
      }

      const metrics = await (await fetch(`http://127.0.0.1:${router.port}/metrics`)).text();
      const health = await (await fetch(`http://127.0.0.1:${router.port}/health/routing`)).text();
      await sleep(1_500); // the span batch goes out
      await stopRouter(router); // flushes the last spans and logs the shutdown
      expect(spans.bodies.length).toBeGreaterThan(0);

      const emitted: Array<[string, Buffer]> = [
        ['router stdout/stderr', Buffer.from(router.output())],
        ['/metrics', Buffer.from(metrics)],
        ['/health/routing', Buffer.from(health)],
        ...spans.bodies.map((b, i): [string, Buffer] => [`OTLP export ${i}`, b]),
        ...[responses, dlq, escalations, outcomeLog].flatMap((c, n) =>
          c.records.map((r): [string, Buffer] => [`topic ${n} record ${r.key}`, Buffer.concat([Buffer.from(r.key ?? ''), r.value, Buffer.from(JSON.stringify(r.headers))])]),
        ),
      ];
      // The key really went out (the echoing provider got it and put it in its 401 message)...
      expect(echo.keysSeen).toContain(keys.echo);
      // ...and that 401 shows up in the router's records, redacted rather than verbatim.
      expect(router.output() + escalations.records.map((r) => r.value.toString()).join('')).toMatch(/c-echo/);
      const leaks: string[] = [];
      for (const [where, bytes] of emitted) {
        for (const [name, key] of Object.entries(keys)) {
          // The whole key, and its distinctive tail on its own (a partly masked key still leaks it).
          for (const needle of [key, key.slice(-12)]) if (bytes.includes(needle)) leaks.push(`${name} key in ${where}`);
        }
      }
      expect(leaks).toEqual([]);
      process.stderr.write(`[drill secrets] searched ${emitted.length} outputs (${emitted.reduce((n, [, b]) => n + b.length, 0)} bytes, ${spans.bodies.length} OTLP exports)\n`);
    } finally {
      await Promise.all([spans.close(), echo.close()]);
    }
  });

  it('keeps tenant budgets apart: an exhausted tenant is refused, another is still served', async () => {
    const topics = uniqueTopics('drill-tenants');
    await createTopics(kafka, [topics.requests, topics.responses, topics.dlq, `${topics.tag}.outcomes`]);
    const responses = await new TopicCollector(kafka, topics.responses).start();
    collectors.push(responses);
    // $1000 per 1M tokens: a call may cost up to ~$4.10 (4096 output tokens) and really costs ~$0.16.
    const pricing = { inputPer1M: 1000, outputPer1M: 1000 };
    let router: RouterProcess;
    routers.push(
      (router = await startRouter({
        ...topics.env(),
        ROUTING_TABLE: routingTableFor(sim.url, [{ id: 'only', provider: 'openai', model: 'gpt-4o-mini', pricing }], 'budgets:\n  tenants:\n    poor: { day: 5 }\n    rich: { day: 1000 }'),
      })),
    );
    // The poor tenant spends its cap in a few sequential requests; then the rich one asks too.
    const poor = Array.from({ length: 12 }, (_, i) => `poor-${i}`);
    for (const id of poor) {
      await publishRaw(producer, topics.requests, [{ key: id, value: JSON.stringify(request(id, { tenant: 'poor' })) }]);
      await responses.waitFor((c) => c.byKey().has(id), 30_000, id);
    }
    const rich = Array.from({ length: 30 }, (_, i) => `rich-${i}`);
    await publishRaw(producer, topics.requests, rich.map((id) => ({ key: id, value: JSON.stringify(request(id, { tenant: 'rich' })) })));
    // A poor request in the middle of the rich ones: still refused.
    await publishRaw(producer, topics.requests, [{ key: 'poor-late', value: JSON.stringify(request('poor-late', { tenant: 'poor' })) }]);
    await responses.waitFor((c) => [...rich, 'poor-late'].every((id) => c.byKey().has(id)), 60_000, 'every rich request answered');

    const answers = responses.byKey();
    const json = (id: string) => answers.get(id)![0].json as { status: string; tenant: string; usage?: { costUsd: number }; error?: { kind: string } };
    const poorServed = poor.filter((id) => json(id).status === 'ok');
    expect(poorServed.length).toBeGreaterThan(0);
    expect(poorServed.length).toBeLessThan(poor.length);
    for (const id of [...poor.filter((id) => json(id).status !== 'ok'), 'poor-late']) {
      expect([id, json(id).error?.kind]).toEqual([id, expect.stringMatching(/^(budget_exceeded|no_eligible_arm)$/)]);
    }
    for (const id of rich) expect([id, json(id).status, json(id).tenant]).toEqual([id, 'ok', 'rich']);

    // Each tenant's ledger holds exactly its own answers' cost.
    const report = (await (await fetch(`http://127.0.0.1:${router.port}/health/routing`)).json()) as { budget: { tenants: Record<string, Array<{ window: string; usedUsd: number; capUsd: number }>> } };
    const spent = (ids: string[]) => ids.reduce((sum, id) => sum + (json(id).usage?.costUsd ?? 0), 0);
    const used = (tenant: string) => report.budget.tenants[tenant].find((l) => l.window === 'day')!.usedUsd;
    expect(used('poor')).toBeCloseTo(spent([...poor, 'poor-late']), 6);
    expect(used('poor')).toBeLessThanOrEqual(5);
    expect(used('rich')).toBeCloseTo(spent(rich), 6);
  });
});
