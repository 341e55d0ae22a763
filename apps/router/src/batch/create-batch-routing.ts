import { CompletionTimeLearner, logNormalCompletion, type AnswerChecks, type BudgetGuard, type Clock, type IdempotencyStore, type Router } from '@switchyard/core';
import type { Kafka } from 'kafkajs';
import type { LoadedRoutingTable } from '../config/routing-table.loader';
import type { AnswerPipeline } from '../pipeline/answer-pipeline';
import type { Publisher } from '../pipeline/kafka-delivery';
import type { BatchEnv } from './batch-env';
import { BatchPorts } from './batch-ports';
import { BatchRouting } from './batch-routing';
import { KafkaBatchLedger } from './kafka-batch-ledger';
import { KafkaParkedRequests } from './parked-requests';

export interface BatchRoutingDeps {
  env: BatchEnv & { ROUTER_DEFAULT_DEADLINE_MS: number; TOPIC_RESPONSES: string };
  kafka: Kafka;
  replica: string;
  /** The routing table serving now (arms and classes follow reloads; endpoints are read at start). */
  table: () => LoadedRoutingTable;
  router: Router;
  pipeline: AnswerPipeline;
  store: IdempotencyStore;
  publisher: Publisher;
  clock: Clock;
  budget?: BudgetGuard;
  answerChecks?: AnswerChecks;
}

/** The batch path over Kafka (ledger and parked requests on compacted topics), or undefined when BATCH_ENABLED is off. */
export function createBatchRouting(deps: BatchRoutingDeps): BatchRouting | undefined {
  const { env } = deps;
  if (!env.BATCH_ENABLED) return undefined;
  const ports = new BatchPorts(deps.table().endpoints);
  const windowMs = 24 * 3_600_000;
  const prior = env.BATCH_COMPLETION_MEDIAN_MS > 0 ? logNormalCompletion(env.BATCH_COMPLETION_MEDIAN_MS, Math.max(env.BATCH_COMPLETION_P95_MS, env.BATCH_COMPLETION_MEDIAN_MS)) : undefined;
  return new BatchRouting({
    settings: {
      maxRequests: env.BATCH_MAX_REQUESTS,
      maxAgeMs: env.BATCH_MAX_AGE_MS,
      pollIntervalMs: env.BATCH_POLL_INTERVAL_MS,
      liveBudgetMs: env.BATCH_LIVE_BUDGET_MS,
      priceFactor: env.BATCH_PRICE_FACTOR,
      defaultDeadlineMs: env.ROUTER_DEFAULT_DEADLINE_MS,
      responsesTopic: env.TOPIC_RESPONSES,
    },
    router: deps.router,
    pipeline: deps.pipeline,
    store: deps.store,
    publisher: deps.publisher,
    clock: deps.clock,
    budget: deps.budget,
    answerChecks: deps.answerChecks,
    learner: new CompletionTimeLearner({ windowMs, prior }),
    arm: (id) => deps.table().arms.find((a) => a.id === id),
    classOf: (name) => deps.table().classes[name],
    port: (arm) => ports.portFor(arm),
    open: async () => {
      const [ledger, parked] = await Promise.all([
        KafkaBatchLedger.open(deps.kafka, { topic: env.TOPIC_BATCH_LEDGER, replica: deps.replica }),
        KafkaParkedRequests.open(deps.kafka, { topic: env.TOPIC_BATCH_REQUESTS, replica: deps.replica }),
      ]);
      return { ledger, parked, close: async () => void (await Promise.allSettled([ledger.close(), parked.close(), ports.close()])) };
    },
  });
}
