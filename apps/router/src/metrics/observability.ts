import type { OnModuleDestroy } from '@nestjs/common';
import { buildRoutingReport, type RoutingReport } from '../health/routing-report';
import type { RouterRuntime } from '../runtime';
import { ConsumerLagProbe, KafkaAdminLagSource } from './consumer-lag';
import { knownLabels, type KnownLabels } from './known-labels';
import { METRIC_PREFIX, RouterMetrics } from './router-metrics';
import { registerRoutingTableMetrics } from './routing-table-metrics';
import { registerCredentialMetrics } from './routing-credential-metrics';
import { routingTableReport, type RoutingTableReport } from '../health/routing-table-report';
import { pipelineReport, type PipelineReport } from '../health/pipeline-report';
import { registerBatchMetrics } from '../batch/batch-metrics';
import type { OpenBatchView } from '../batch/batch-routing';

/**
 * Metrics and routing health for one runtime: subscribes to its RouterEventBus at construction
 * (NestJS builds it before the consumer starts) and reads the transport, processor, breakers,
 * Kafka lag and the optional policy/budget introspection on demand.
 */
/** The response cache in /health/routing: where it lives and how full it is. */
export interface CacheReport {
  backend: 'memory' | 'redis';
  semantic: boolean;
  evictions: number;
  entries?: number;
  vectors?: number;
  vectorEvictions?: number;
  vectorsReceived?: number;
  /** Entries dropped after bad feedback on an answer they gave or hold. */
  forgotten: number;
}

export class Observability implements OnModuleDestroy {
  readonly metrics: RouterMetrics;
  readonly lag: ConsumerLagProbe;
  private readonly detach: () => void;
  /** Known labels of the table serving now (a reload replaces the table object). */
  private labels?: { table: RouterRuntime['table']; known: KnownLabels };

  constructor(private readonly runtime: RouterRuntime) {
    const { env, transport, processor, breakers } = runtime;
    this.lag = new ConsumerLagProbe(new KafkaAdminLagSource(runtime.kafka, env.TOPIC_REQUESTS, env.KAFKA_GROUP_ID), { maxAgeMs: 10_000, waitMs: 2_000 });
    this.metrics = new RouterMetrics({
      arms: () => runtime.table.arms,
      transport: () => transport.stats(),
      processor: () => processor.counters,
      frontDoor: () => runtime.frontDoor.counters,
      dlqByReason: () => runtime.dlq.byReason,
      recordsDropped: () => runtime.dlq.counts.dropped,
      escalated: () => runtime.escalations.escalated,
      publisher: () => runtime.output.stats,
      feedback: runtime.feedback ? () => runtime.feedback!.counts : undefined,
      breakers: () => breakers.snapshot(),
      lag: { probe: this.lag, topic: env.TOPIC_REQUESTS },
      introspection: runtime.introspection,
      cache: runtime.cache ? () => runtime.cache!.stats() : undefined,
      fallbackReviews: runtime.fallbackReview ? () => runtime.fallbackReview!.counts : undefined,
      knownLabels: () => this.labelsOf(runtime.table),
    });
    registerRoutingTableMetrics(runtime.reloader, METRIC_PREFIX, [this.metrics.registry]);
    registerCredentialMetrics({ arms: () => runtime.table.arms, credentials: runtime.router.credentials }, METRIC_PREFIX, [this.metrics.registry]);
    const batch = runtime.batch;
    if (batch) {
      registerBatchMetrics(METRIC_PREFIX, [this.metrics.registry], { stats: batch.stats, liveAnswers: () => processor.counters.answered + processor.counters.failed, openBatches: () => batch.openBatches().length, waiting: () => batch.waiting });
    }
    this.detach = this.metrics.attach(runtime.events);
  }

  private labelsOf(table: RouterRuntime['table']): KnownLabels {
    if (this.labels?.table !== table) this.labels = { table, known: knownLabels(table, this.runtime.frontDoor.tenants()) };
    return this.labels.known;
  }

  routingReport(): RoutingReport & { pipeline: PipelineReport; routingTable: RoutingTableReport; cache?: CacheReport; batches?: { open: OpenBatchView[]; waiting: number } } {
    const { runtime } = this;
    const cache = runtime.cache ? { backend: runtime.cache.backend, semantic: runtime.cache.semantic, ...runtime.cache.stats() } : undefined;
    return { ...this.baseReport(), pipeline: pipelineReport(runtime), routingTable: routingTableReport(runtime.reloader, runtime.table.endpoints), ...(cache ? { cache } : {}), ...(runtime.batch ? { batches: { open: runtime.batch.openBatches(), waiting: runtime.batch.waiting } } : {}) };
  }

  private baseReport(): RoutingReport {
    const { runtime } = this;
    return buildRoutingReport({
      arms: runtime.table.arms,
      breakers: (arm) => runtime.breakers.stateOf(arm),
      credentials: (arm) => runtime.router.credentials.stateOf(arm),
      selections: this.metrics.selections,
      introspection: runtime.introspection,
      tenants: () => this.metrics.knownTenants(),
      now: runtime.clock.now(),
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.detach();
    await this.lag.close();
  }
}
