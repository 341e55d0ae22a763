// First: the OpenTelemetry SDK must be registered before NestJS and kafkajs load.
import { telemetry } from './telemetry/otel';
import 'reflect-metadata';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { ConfigError, parseEnv, type RouterEnv } from './config/env';
import { parseRoutingTable, readRoutingTableText } from './config/routing-table.loader';
import { ensureTopics } from './kafka/ensure-topics';
import { answerClientErrors } from './frontdoor/client-errors';
import { readRecordLimits } from './kafka/record-limits';
import { KafkaAuthError, retryStartup, StartupTimeoutError } from './kafka/retry-startup';
import { EXIT_UNAVAILABLE } from './kafka/startup-wait';
import { warmFromResponses } from './pipeline/response-log-warmer';
import { RouterRuntime } from './runtime';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function loggerLevels(level: RouterEnv['LOG_LEVEL']): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

async function bootstrap(): Promise<void> {
  let runtime: RouterRuntime;
  try {
    const env = parseEnv();
    const text = readRoutingTableText(env.ROUTING_TABLE);
    runtime = new RouterRuntime(env, parseRoutingTable(text, env.ROUTING_TABLE), text);
  } catch (err) {
    // Exit with the reason and EX_CONFIG: a supervisor should not restart into the same error.
    const message = err instanceof ConfigError ? err.message : `invalid configuration: ${(err as Error).message}`;
    process.stderr.write(`switchyard-router: ${message}\n`);
    process.exit(78);
  }
  const { env } = runtime;
  const logger = new Logger('Router');
  // No body parser: the front door reads its bodies itself, with the request size limit and
  // errors in OpenAI's shape; no other route takes a body.
  const app = await NestFactory.create(AppModule.forRuntime(runtime), { logger: loggerLevels(env.LOG_LEVEL), bodyParser: false });
  answerClientErrors(app.getHttpServer());
  // The HTTP port first: a port taken by another process is a configuration error, found before
  // this instance joins the consumer group (and triggers a rebalance) for nothing.
  try {
    await app.listen(env.HTTP_PORT, env.HTTP_HOST);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'needs privileges this process lacks' : 'is not an address of this host';
      process.stderr.write(`switchyard-router: Invalid environment variables: HTTP_PORT / HTTP_HOST: ${env.HTTP_HOST}:${env.HTTP_PORT} ${why} (${code})\n`);
      process.exit(78);
    }
    throw err;
  }
  // Until the consumer runs, /health/ready says what start-up waits for and its last error; past
  // ROUTER_STARTUP_WAIT_MS the process exits with EXIT_UNAVAILABLE (69) instead of retrying forever.
  const startup = runtime.startup;
  startup.arm((message) => {
    process.stderr.write(`switchyard-router: ${message}\n`);
    process.exit(EXIT_UNAVAILABLE);
  });
  if (env.KAFKA_CREATE_TOPICS) {
    const created = await retryStartup('creating topics', () => ensureTopics(runtime.kafka, [env.TOPIC_REQUESTS, env.TOPIC_RESPONSES, env.TOPIC_DLQ, env.TOPIC_ESCALATIONS, env.TOPIC_OUTCOMES, env.TOPIC_STREAM, ...(env.FEEDBACK_ENABLED ? [env.TOPIC_FEEDBACK] : []), ...(env.FALLBACK_REVIEW_ENABLED ? [env.TOPIC_FALLBACKS] : [])], env.KAFKA_TOPIC_PARTITIONS), startup);
    if (created.length) logger.log(`created topics ${created.join(', ')} (${env.KAFKA_TOPIC_PARTITIONS} partitions)`);
  }
  const { limits, warning } = await readRecordLimits(
    runtime.kafka,
    [env.TOPIC_RESPONSES, env.TOPIC_DLQ, env.TOPIC_ESCALATIONS, env.TOPIC_OUTCOMES, ...(env.FALLBACK_REVIEW_ENABLED ? [env.TOPIC_FALLBACKS] : [])],
    env.KAFKA_MAX_RECORD_BYTES,
  );
  if (warning) logger.warn(warning);
  runtime.output.useLimits(limits);
  logger.log(`output record limits (bytes): ${JSON.stringify(limits.describe())}`);
  if (runtime.state.backend === 'redis') startup.waitFor('waiting for the state store (Redis, REDIS_URL)');
  await retryStartup('connecting to the state store', () => runtime.state.ready(5_000), startup);
  startup.waitFor(runtime.kafkaWaitText);
  await runtime.output.connect();
  if (env.IDEMPOTENCY_WARM_FROM_RESPONSES) {
    await retryStartup('warming the idempotency store', () => warmFromResponses(runtime.kafka, env.TOPIC_RESPONSES, runtime.idempotency, env.IDEMPOTENCY_TTL_MS), startup);
  }
  runtime.cache?.start();
  await retryStartup('starting the outcome broadcast', async () => runtime.outcomes?.start(), startup);
  await retryStartup('starting the feedback consumer', async () => runtime.feedback?.start(), startup);
  // Before the consumer: the ledger is read to its end, so a redelivered batched request is known as such.
  await retryStartup('opening the batch ledger', async () => runtime.batch?.start(), startup);
  app.connectMicroservice({ strategy: runtime.transport });
  await app.startAllMicroservices();
  startup.finish();
  const port = (app.getHttpServer().address() as AddressInfo).port;
  logger.log(`ready: consuming ${env.TOPIC_REQUESTS} as ${env.KAFKA_GROUP_ID}, ${runtime.table.arms.length} arms, health on :${port}`);
  logger.log(`front door /v1: ${runtime.frontDoor.describe()}`);

  // Routing-table changes without a restart: the file watch, SIGHUP, and POST /admin/routing-table/reload.
  const stopWatch = env.ROUTING_TABLE_WATCH ? runtime.reloader.watch(env.ROUTING_TABLE_WATCH_DEBOUNCE_MS) : undefined;
  process.on('SIGHUP', () => runtime.reloader.reload('signal'));

  // Other replicas spend from a shared store: pull their usage so eligibility and pacing see it.
  const budget = runtime.policy.budget;
  const budgetRefresh = setInterval(() => {
    if (budget && runtime.state.backend === 'redis') void budget.refresh(budget.recentTenants()).catch(() => undefined);
  }, 1_000);
  budgetRefresh.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: draining`);
    stopWatch?.();
    const t = Date.now();
    const step = (name: string) => logger.debug(`stop: ${name} after ${Date.now() - t} ms`);
    await runtime.transport.close();
    step('transport');
    await runtime.batch?.close();
    await Promise.all([runtime.outcomes?.close(), runtime.feedback?.close(), runtime.cache?.close()]);
    step('outcomes and feedback');
    await runtime.output.close();
    step('output');
    await runtime.replyTopics.close();
    clearInterval(budgetRefresh);
    await runtime.state.close();
    step('state');
    await app.close();
    step('http');
    // After the drain, so the spans of the last answered requests are exported too.
    await telemetry.shutdown();
    step('telemetry');
    const c = runtime.processor.counters;
    const h = runtime.frontDoor.counters;
    logger.log(`stopped (Kafka: answered ${c.answered}, failed ${c.failed}, replayed ${c.replayed}, dlq ${runtime.dlq.counts.written}; HTTP: answered ${h.answered}, failed ${h.failed}, replayed ${h.replayed})`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

bootstrap().catch((err: unknown) => {
  if (err instanceof StartupTimeoutError) {
    process.stderr.write(`switchyard-router: ${err.message}\n`);
    process.exit(EXIT_UNAVAILABLE);
  }
  if (err instanceof KafkaAuthError) {
    // EX_CONFIG like any configuration error: a supervisor should not restart into it.
    process.stderr.write(`switchyard-router: ${err.message} (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD[_FILE])\n`);
    process.exit(78);
  }
  process.stderr.write(`switchyard-router: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
