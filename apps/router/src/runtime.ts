import { Logger } from '@nestjs/common';
import { AnswerChecks, BreakerRegistry, FallbackGuardSettings, ReductionSettings, reloadArms, Router, RouterEventBus, type AnswerCheckOptions } from '@switchyard/core';
import { classFallbackGuards, classReductions, guardEmbedder } from './routing/fallback-settings';
import { AjvSchemaValidator } from './quality/ajv-schema-validator';
import { SdkProviderRegistry, endpointSecrets } from '@switchyard/providers';
import type { RouterTracing } from '@switchyard/telemetry';
import type { Kafka } from 'kafkajs';
import type { RouterEnv } from './config/env';
import type { LoadedRoutingTable } from './config/routing-table.loader';
import { RoutingTableReloader, type TableApplied } from './config/routing-table-reloader';
import { KafkaRequestTransport } from './kafka/kafka-request-transport';
import { KafkaReplyTopics } from './kafka/reply-topics';
import { StartupWait } from './kafka/startup-wait';
import { createKafka, KafkaOutput } from './pipeline/kafka-clients';
import { RequestProcessor } from './pipeline/request-processor';
import { isInfrastructureError } from './pipeline/infrastructure-errors';
import { SystemClock, SystemRandom } from './system/system-clock';
import { createRouterTracing } from './telemetry/create-router-tracing';
import type { RoutingIntrospection } from './metrics/routing-introspection';
import { createRoutingPolicy, type RoutingPolicy } from './routing/routing-policy';
import { createStateStores, type StateStores } from './state/create-state-stores';
import { OutcomeBroadcast } from './learning/outcome-broadcast';
import { credentialLog } from './routing/credential-log';
import { FeedbackConsumer } from './learning/feedback-consumer';
import { cacheNeedsRestart, classCacheSettings, createResponseCache, type CacheRuntime } from './cache/create-response-cache';
import { hostname } from 'node:os';
import type { RequestLimits } from '@switchyard/contracts';
import { windowBounds } from '@switchyard/core';
import { ConfigError } from './config/env';
import { AnswerPipeline } from './pipeline/answer-pipeline';
import { DlqWriter } from './pipeline/dlq-writer';
import { EscalationSink } from './pipeline/escalation-sink';
import { FallbackReviewSink } from './pipeline/fallback-review-sink';
import { ApiKeyConfigError, loadApiKeys } from './frontdoor/api-keys';
import { FrontDoor } from './frontdoor/front-door';
import { frontDoorMode } from './frontdoor/front-door-mode';
import { randomUUID } from 'node:crypto';
import { createBatchRouting } from './batch/create-batch-routing';
import type { BatchRouting } from './batch/batch-routing';

/**
 * The composition root: every long-lived object of the router, built once from validated config.
 * NestJS exposes it to controllers; nothing here depends on NestJS except the transport base class.
 */
export class RouterRuntime {
  readonly clock = new SystemClock();
  /** Router events fan out from here: tracing now, metrics and health subscribe the same way. */
  readonly events = new RouterEventBus();
  readonly tracing: RouterTracing;
  readonly kafka: Kafka;
  readonly output: KafkaOutput;
  readonly replyTopics: KafkaReplyTopics;
  /** Budget and idempotency stores: in memory (one instance) or Redis (STATE_BACKEND=redis). */
  readonly state: StateStores;
  readonly idempotency: StateStores['idempotency'];
  /** One circuit breaker per arm (shared with the router); /health/routing reads `snapshot()`. */
  readonly breakers: BreakerRegistry;
  /**
   * What the adaptive policy and the budget guard report to /health/routing and /metrics. Set the
   * members when they are wired, e.g. `{ policySnapshot: () => selector.snapshot(), budgetHeadroom: (t) => guard.headroom(t) }`.
   */
  introspection: RoutingIntrospection = {};
  /** Which arm: the selector (Thompson sampling by default), its learners and the budget guard. */
  readonly policy: RoutingPolicy;
  readonly router: Router;
  /** Provider clients per endpoint (replaced per endpoint by a reload). */
  readonly providers: SdkProviderRegistry;
  readonly answerChecks: AnswerChecks;
  /** Context reduction per class (`classes.<name>.reduction`), replaced by a reload. */
  readonly reduction: ReductionSettings;
  /** The fallback guard per class (`classes.<name>.fallbackGuard`), replaced by a reload. */
  readonly fallbackGuards: FallbackGuardSettings;
  /** File watch, SIGHUP and the admin endpoint reload the routing table through it. */
  readonly reloader: RoutingTableReloader;
  /** The Kafka edge: one request record in, one response (or DLQ record) out. */
  readonly processor: RequestProcessor;
  /** Stored answer or routing: one pipeline behind both edges (Kafka processor, HTTP front door). */
  readonly pipeline: AnswerPipeline;
  /** The dead-letter topic, for the Kafka processor and the feedback consumer alike. */
  readonly dlq: DlqWriter;
  /** The escalations topic, fed by the pipeline for both edges. */
  readonly escalations: EscalationSink;
  /** The review stream of fallback answers (FALLBACK_REVIEW_ENABLED). */
  readonly fallbackReview?: FallbackReviewSink;
  /** The OpenAI-compatible HTTP edge (/v1/chat/completions, /v1/models). */
  readonly frontDoor: FrontDoor;
  readonly transport: KafkaRequestTransport;
  /** The batch path (BATCH_ENABLED, docs/batch.md); absent: every request is answered live. */
  readonly batch?: BatchRouting;
  /** Shared learning across replicas (OUTCOMES_BROADCAST). */
  readonly outcomes?: OutcomeBroadcast;
  /** The response cache (routing table `cache:` / `classes.<name>.cache`); absent when no class uses it. */
  readonly cache?: CacheRuntime;
  private readonly cacheBuiltFrom: Pick<LoadedRoutingTable, 'cache'>;
  /** Quality feedback from applications (FEEDBACK_ENABLED). */
  readonly feedback?: FeedbackConsumer;
  /** What start-up waits for (the broker, the state store) until the consumer runs; /health/ready reports it. */
  readonly startup: StartupWait;
  readonly kafkaWaitText: string;
  /** This process among replicas: host, pid and a random suffix (a restart is a new replica). */
  readonly replica = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

  /**
   * @param table the routing table serving now: replaced by each applied reload (its policy,
   *   resilience and budgets sections stay as loaded at startup).
   * @param tableText the file's text `table` was parsed from (its hash is the table version).
   */
  constructor(
    readonly env: Readonly<RouterEnv>,
    public table: LoadedRoutingTable,
    tableText = '',
  ) {
    this.kafkaWaitText = `waiting for Kafka at ${env.KAFKA_BROKERS}`;
    this.startup = new StartupWait(this.kafkaWaitText, env.ROUTER_STARTUP_WAIT_MS);
    // The Kafka client retries inside each call: its error lines are the freshest reason start-up waits.
    this.kafka = createKafka(env, (line) => this.startup.failed('connecting to Kafka', line));
    this.tracing = createRouterTracing(table.endpoints, env);
    this.events.subscribe(this.tracing.listener);
    this.output = new KafkaOutput(this.kafka, undefined, env.ROUTER_PUBLISH_LINGER_MS);
    this.replyTopics = new KafkaReplyTopics(this.kafka, { create: env.REPLY_TOPIC_CREATE, numPartitions: env.KAFKA_TOPIC_PARTITIONS });
    this.state = createStateStores(env, { clock: this.clock, logger: new Logger('State') });
    this.idempotency = this.state.idempotency;
    this.breakers = new BreakerRegistry({ clock: this.clock, config: table.resilience.breaker, events: this.events });
    const random = new SystemRandom();
    this.policy = createRoutingPolicy(table, this.clock, random, this.state.budget, this.breakers);
    this.introspection = this.policy.introspection;
    this.cacheBuiltFrom = { cache: table.cache };
    this.cache = createResponseCache(table, {
      clock: this.clock,
      redis: this.state.redis,
      redisPrefix: env.REDIS_KEY_PREFIX,
      replica: this.replica,
      logger: new Logger('ResponseCache'),
    });
    this.providers = new SdkProviderRegistry(table.endpoints);
    this.answerChecks = new AnswerChecks({ json: new AjvSchemaValidator(), classes: classChecks(table) });
    this.reduction = new ReductionSettings(classReductions(table));
    this.fallbackGuards = new FallbackGuardSettings(classFallbackGuards(table));
    this.router = new Router({
      arms: table.arms,
      providers: this.providers,
      selector: this.policy.selector,
      outcomeSinks: this.policy.outcomeSinks,
      eligibilityRules: this.policy.eligibilityRules,
      latency: this.policy.latency,
      budget: this.policy.budget,
      clock: this.clock,
      events: this.events,
      defaultDeadlineMs: env.ROUTER_DEFAULT_DEADLINE_MS,
      // Retries, fallback, breakers, hedging, ...: the routing table's `resilience:` over the defaults.
      resilience: table.resilience,
      breakers: this.breakers,
      random,
      answerChecks: this.answerChecks,
      qualitySinks: this.policy.qualitySinks,
      hungAfterP99Multiple: env.ROUTER_HUNG_AFTER_P99,
      cache: this.cache?.cache,
      streamStallMs: env.ROUTER_STREAM_STALL_MS,
      reduction: this.reduction,
      fallbackGuard: { settings: this.fallbackGuards, embedder: guardEmbedder(table), embedTimeoutMs: table.cache?.embeddings?.timeoutMs },
    });
    this.events.subscribe(credentialLog(new Logger('Credentials')));
    this.dlq = new DlqWriter(this.output, env.TOPIC_DLQ);
    this.escalations = new EscalationSink(this.output, env.TOPIC_ESCALATIONS);
    if (env.FALLBACK_REVIEW_ENABLED) {
      this.fallbackReview = new FallbackReviewSink(this.output, env.TOPIC_FALLBACKS);
      this.events.subscribe(this.fallbackReview.listener);
    }
    const escalations = this.escalations;
    this.pipeline = new AnswerPipeline(this.router, this.idempotency, {
      responsesTopic: env.TOPIC_RESPONSES,
      tracing: this.tracing,
      replica: this.replica,
      escalate: (request, response, reason, headers) => escalations.escalate(request, response, reason, headers),
    });
    this.batch = createBatchRouting({
      env,
      kafka: this.kafka,
      replica: this.replica,
      table: () => this.table,
      router: this.router,
      pipeline: this.pipeline,
      store: this.idempotency,
      publisher: this.output,
      clock: this.clock,
      budget: this.policy.budget,
      answerChecks: this.answerChecks,
    });
    this.processor = new RequestProcessor(
      this.pipeline,
      this.output,
      this.dlq,
      { responses: env.TOPIC_RESPONSES, stream: env.TOPIC_STREAM, dlq: env.TOPIC_DLQ },
      requestLimits(env, table),
      this.replyTopics,
      this.batch,
    );
    this.frontDoor = this.createFrontDoor(env, table);
    if (env.OUTCOMES_BROADCAST) {
      this.outcomes = new OutcomeBroadcast(this.kafka, (r) => this.output.publish(r), this.policy.outcomeSinks, this.breakers, {
        topic: env.TOPIC_OUTCOMES,
        replica: this.replica,
        replayMs: env.OUTCOMES_REPLAY_MS,
        qualitySinks: this.policy.qualitySinks,
      });
      this.events.subscribe(this.outcomes.listener);
    }
    if (env.FEEDBACK_ENABLED) {
      const outcomes = this.outcomes;
      this.feedback = new FeedbackConsumer(
        this.kafka,
        { topic: env.TOPIC_FEEDBACK, groupId: `${env.KAFKA_GROUP_ID}-feedback`, sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS, heartbeatIntervalMs: env.KAFKA_HEARTBEAT_INTERVAL_MS },
        {
          answers: this.idempotency,
          learners: this.policy.qualitySinks ?? [],
          broadcast: outcomes ? (o) => outcomes.publishQuality(o) : undefined,
          cache: this.cache,
          toDlq: (message, reason, detail, requestId) => this.dlq.write(message, reason, detail, requestId),
        },
      );
    }
    this.reloader = new RoutingTableReloader(env.ROUTING_TABLE, tableText, this, { now: () => this.clock.now(), log: new Logger('RoutingTable') });
    this.transport = new KafkaRequestTransport(this.kafka, {
      topic: env.TOPIC_REQUESTS,
      groupId: env.KAFKA_GROUP_ID,
      maxInFlight: env.ROUTER_MAX_IN_FLIGHT,
      partitionWindow: env.ROUTER_PARTITION_WINDOW,
      drainTimeoutMs: env.ROUTER_DRAIN_TIMEOUT_MS,
      commitIntervalMs: env.ROUTER_COMMIT_INTERVAL_MS,
      sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: env.KAFKA_HEARTBEAT_INTERVAL_MS,
      partitionsConsumedConcurrently: env.ROUTER_PARTITIONS_CONCURRENCY,
      maxWaitTimeMs: env.KAFKA_MAX_WAIT_MS,
      minBytes: env.KAFKA_MIN_BYTES,
      maxBytesPerPartition: env.KAFKA_MAX_BYTES_PER_PARTITION,
      stuckAfterMs: env.ROUTER_STUCK_AFTER_MS,
      handlerFailures: { maxTries: env.ROUTER_HANDLER_MAX_TRIES, isTransient: isInfrastructureError, giveUp: (m, err) => this.processor.handlerFailed(m, err) },
    });
  }

  private createFrontDoor(env: Readonly<RouterEnv>, table: LoadedRoutingTable): FrontDoor {
    let keys;
    try {
      keys = loadApiKeys(env);
    } catch (err) {
      if (err instanceof ApiKeyConfigError) throw new ConfigError(`Invalid environment variables: ${err.message}`);
      throw err;
    }
    const budget = this.policy.budget;
    return new FrontDoor({
      mode: frontDoorMode(env, keys),
      keys,
      defaultTenant: env.FRONTDOOR_DEFAULT_TENANT,
      limits: requestLimits(env, table),
      catalog: () => ({ arms: this.table.arms, classes: [...new Set([...Object.keys(this.table.classes), ...this.table.arms.flatMap((a) => a.classes)])] }),
      pipeline: this.pipeline,
      events: this.events,
      // A spent cap opens again when its window ends: the latest end among the spent ones.
      budgetRetryAfterS: budget
        ? (tenant) => {
            const now = this.clock.now();
            const spent = budget.headroom(tenant).filter((line) => line.remainingUsd <= 0);
            return spent.length ? Math.max(...spent.map((line) => windowBounds(line.window, now).end - now)) / 1000 : undefined;
          }
        : undefined,
    });
  }
  /**
   * Applies a validated routing table (the RoutingTableReloader calls it): provider endpoints,
   * per-arm priors, class values, floors and checks, and the arms, with learnt state carried over
   * (see reloadArms). Throws, changing nothing, when an endpoint cannot be built.
   */
  applyRoutingTable(next: LoadedRoutingTable): TableApplied {
    const running = this.table;
    const restartRequired: string[] = RESTART_SECTIONS.filter((k) => JSON.stringify(running[k]) !== JSON.stringify(next[k]));
    // Clients an endpoint change replaces are closed once every call that may still use them is over.
    const graceMs = Math.max(this.env.ROUTER_DEFAULT_DEADLINE_MS, ...running.arms.map((a) => a.timeouts.totalMs)) + 5_000;
    // First: it throws on a bad endpoint before anything else has changed.
    const providersChanged = this.providers.update(next.endpoints, graceMs);
    this.tracing.addSecrets(next.endpoints.flatMap(endpointSecrets));
    this.policy.updateSettings(next);
    const { changes, drained } = reloadArms(this.router, next.arms, [...this.policy.stateHolders, this.breakers]);
    this.answerChecks.updateClasses(classChecks(next));
    this.reduction.update(classReductions(next));
    this.fallbackGuards.update(classFallbackGuards(next));
    // Compared with the table the cache was built from: reloads in between do not move that.
    // The fallback guard embeds with the endpoint it was built with, too.
    const similarityGuards = Object.values(classFallbackGuards(next)).some((g) => g.kind === 'similarity');
    const guardNeedsRestart = similarityGuards && JSON.stringify(next.cache?.embeddings) !== JSON.stringify(this.cacheBuiltFrom.cache?.embeddings);
    if (cacheNeedsRestart(this.cache, next, this.cacheBuiltFrom) || guardNeedsRestart) restartRequired.push('cache');
    this.cache?.cache.updateSettings(next.cache, classCacheSettings(next));
    this.table = { ...next, policy: running.policy, resilience: running.resilience, budgets: running.budgets };
    return { changes, providersChanged, restartRequired: [...restartRequired], drained };
  }
}

/** Sections a reload reports but does not apply: they shape objects built once at startup. */
const RESTART_SECTIONS = ['policy', 'resilience', 'budgets'] as const;

function classChecks(table: LoadedRoutingTable): NonNullable<AnswerCheckOptions['classes']> {
  return Object.fromEntries(Object.entries(table.classes).flatMap(([name, c]) => (c.checks ? [[name, c.checks]] : [])));
}

/** The request limits both edges apply (Kafka records and front-door bodies alike). */
function requestLimits(env: Readonly<RouterEnv>, table: Pick<LoadedRoutingTable, 'arms'>): RequestLimits {
  return { maxMessageBytes: env.ROUTER_MAX_MESSAGE_BYTES, maxMessages: env.ROUTER_MAX_MESSAGES, maxContentChars: maxContentChars(env, table), maxJsonDepth: env.ROUTER_MAX_JSON_DEPTH };
}

/** Characters per token the content limit assumes (the core's prompt estimate uses the same ratio). */
const CHARS_PER_TOKEN = 4;

/**
 * The longest message content accepted: ROUTER_MAX_CONTENT_CHARS when set, else what the largest
 * context window of the routing table can hold, so any prompt some arm could serve gets routed.
 */
export function maxContentChars(env: Pick<RouterEnv, 'ROUTER_MAX_CONTENT_CHARS'>, table: Pick<LoadedRoutingTable, 'arms'>): number {
  if (env.ROUTER_MAX_CONTENT_CHARS > 0) return env.ROUTER_MAX_CONTENT_CHARS;
  const largest = Math.max(0, ...table.arms.map((a) => a.contextWindow));
  return largest > 0 ? largest * CHARS_PER_TOKEN : 400_000;
}
