import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startProviderSim, type ProviderSim } from '../../apps/provider-sim/src';
import { REPO_ROOT } from '../support/env';
import { request, TopicCollector, uniqueTopics } from '../support/kafka-io';
import { routingTableFor, startRouter, stopRouter, type RouterProcess } from '../support/router-process';

/**
 * Kafka SASL/PLAIN against a real broker: a second single-node broker (infra/kafka.sh, own ports and
 * run dir) with a SASL_PLAINTEXT listener besides the PLAINTEXT one kafka.sh's readiness probe and
 * the KRaft controller use. The router talks only to the SASL listener.
 */
const PORT = 19592; // PLAINTEXT (readiness probe)
const CONTROLLER_PORT = 19593;
const SASL_PORT = 19594;
const RUN_DIR = join(REPO_ROOT, '.infra', 'kafka-sasl-test');
const USER = 'switchyard';
const PASSWORD = `sy-${Math.random().toString(36).slice(2)}-good`;
const WRONG = `sy-${Math.random().toString(36).slice(2)}-wrong`;
const H = '127.0.0.1';

function kafkaSh(command: 'start' | 'stop'): void {
  const extra = [
    `listeners=PLAINTEXT://${H}:${PORT},CONTROLLER://${H}:${CONTROLLER_PORT},SASL_PLAINTEXT://${H}:${SASL_PORT}`,
    `advertised.listeners=PLAINTEXT://${H}:${PORT},SASL_PLAINTEXT://${H}:${SASL_PORT}`,
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'sasl.enabled.mechanisms=PLAIN',
    'listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN',
    `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${USER}="${PASSWORD}";`,
  ].join('\n');
  const result = spawnSync('bash', [join(REPO_ROOT, 'infra', 'kafka.sh'), command], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_PORT: String(PORT), KAFKA_CONTROLLER_PORT: String(CONTROLLER_PORT), KAFKA_RUN_DIR: RUN_DIR, KAFKA_EXTRA_PROPERTIES: extra },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`infra/kafka.sh ${command} exited ${result.status}`);
}

/** Runs the router to its end (it must not become ready); returns exit code and output. */
function runRouterToExit(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | string; output: string }> {
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', join(REPO_ROOT, 'dist/apps/router/src/main.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'verbose', NO_COLOR: '1', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, output });
    });
  });
}

describe('drill: Kafka SASL/PLAIN', () => {
  let sim: ProviderSim;
  let kafka: Kafka;
  let producer: Producer | undefined;
  let collector: TopicCollector | undefined;
  let router: RouterProcess | undefined;
  let table: string;
  const topics = uniqueTopics('drill-sasl');
  const saslEnv = (password: string): Record<string, string> => ({
    ...topics.env(),
    KAFKA_BROKERS: `${H}:${SASL_PORT}`,
    KAFKA_SASL_MECHANISM: 'plain',
    KAFKA_SASL_USERNAME: USER,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_ALLOW_PLAINTEXT_SASL: 'true', // loopback only
    ROUTING_TABLE: table,
  });

  beforeAll(async () => {
    rmSync(RUN_DIR, { recursive: true, force: true });
    kafkaSh('start');
    sim = await startProviderSim({ seed: 7, config: { models: [{ name: 'gpt-4o-mini', api: 'openai', latency: { medianMs: 20, p95Ms: 40 } }] } });
    table = routingTableFor(sim.url, [{ id: 'mini', provider: 'openai', model: 'gpt-4o-mini' }]);
    kafka = new Kafka({ clientId: 'switchyard-e2e-sasl', brokers: [`${H}:${SASL_PORT}`], logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: USER, password: PASSWORD } });
  }, 180_000);

  afterAll(async () => {
    await collector?.stop();
    await producer?.disconnect();
    await stopRouter(router);
    await sim?.close();
    kafkaSh('stop');
    rmSync(RUN_DIR, { recursive: true, force: true });
  }, 90_000);

  it('serves a request through the SASL_PLAINTEXT listener with the right credentials', async () => {
    router = await startRouter(saslEnv(PASSWORD));
    collector = await new TopicCollector(kafka, topics.responses).start();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.requests, messages: [{ key: 'sasl-1', value: JSON.stringify(request('sasl-1')) }] });
    await collector.waitFor((c) => c.byKey().has('sasl-1'), 30_000, 'the answer to sasl-1');
    const answer = collector.byKey().get('sasl-1')![0].json;
    expect(answer.status).toBe('ok');
    expect((answer.servedBy as { arm: string }).arm).toBe('mini');
    expect(router.output()).not.toContain(PASSWORD);
  });

  it('refuses to start with a wrong password: exit 78, a clear SASL error, no password in the output', async () => {
    const started = Date.now();
    const { code, output } = await runRouterToExit(saslEnv(WRONG));
    expect(code).toBe(78);
    expect(output).toMatch(/SASL authentication failed/);
    expect(output).toMatch(/KAFKA_SASL_/);
    expect(output).not.toContain(WRONG);
    expect(output).not.toContain(PASSWORD);
    expect(Date.now() - started).toBeLessThan(30_000); // no minute of retries into the same refusal
  });

  it('refuses SASL PLAIN over plaintext unless explicitly allowed (exit 78, says why)', async () => {
    const { code, output } = await runRouterToExit({ ...saslEnv(PASSWORD), KAFKA_ALLOW_PLAINTEXT_SASL: 'false' });
    expect(code).toBe(78);
    expect(output).toMatch(/KAFKA_SASL_MECHANISM=plain without KAFKA_SSL=true sends the password in clear text/);
    expect(output).not.toContain(PASSWORD);
  });
});
