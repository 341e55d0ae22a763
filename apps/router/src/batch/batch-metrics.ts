import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BatchStats } from './batch-stats';

/** Batch sizes (requests per submitted batch). */
const SIZE_BUCKETS = [1, 5, 10, 50, 100, 500, 1_000, 5_000, 50_000];
/** Batch completion times, seconds: a simulated minute to the 24 h window. */
const COMPLETION_BUCKETS_S = [1, 10, 60, 300, 900, 1_800, 3_600, 7_200, 21_600, 86_400];

export interface BatchMetricsSources {
  stats: BatchStats;
  /** Requests answered live by the Kafka edge (routed, not replayed). */
  liveAnswers: () => number;
  openBatches: () => number;
  waiting: () => number;
}

/** The batch path's metrics (docs/metrics.md), read from its stats at scrape time. */
export function registerBatchMetrics(prefix: string, registers: Registry[], sources: BatchMetricsSources): void {
  const { stats } = sources;
  const seen = { batch: 0, live: 0, late: 0, savings: 0, batched: 0 };
  const rescuedSeen = new Map<string, number>();
  new Counter({
    name: `${prefix}answers_served_total`,
    help: 'Answers published, by how they were served: live (an arm answered now, rescues included) or batch (a provider batch answered).',
    labelNames: ['served_via'],
    registers,
    collect() {
      const live = sources.liveAnswers() + stats.rescuedTotal;
      if (stats.answeredByBatch > seen.batch) this.inc({ served_via: 'batch' }, stats.answeredByBatch - seen.batch);
      if (live > seen.live) this.inc({ served_via: 'live' }, live - seen.live);
      seen.batch = stats.answeredByBatch;
      seen.live = live;
    },
  });
  new Counter({
    name: `${prefix}batch_requests_total`,
    help: 'Requests submitted in a provider batch.',
    registers,
    collect() {
      if (stats.batched > seen.batched) this.inc(stats.batched - seen.batched);
      seen.batched = stats.batched;
    },
  });
  new Counter({
    name: `${prefix}batch_rescues_total`,
    help: 'Batched requests answered live instead, by reason (deadline, batch_failed, batch_expired, errored, expired, canceled, missing, check_failed, submit_failed, budget).',
    labelNames: ['reason'],
    registers,
    collect() {
      for (const [reason, n] of stats.rescued) {
        const before = rescuedSeen.get(reason) ?? 0;
        if (n > before) this.inc({ reason }, n - before);
        rescuedSeen.set(reason, n);
      }
    },
  });
  new Counter({
    name: `${prefix}batch_late_results_discarded_total`,
    help: 'Batch results that arrived after their request was answered live (or after its rescue time): discarded.',
    registers,
    collect() {
      if (stats.lateDiscarded > seen.late) this.inc(stats.lateDiscarded - seen.late);
      seen.late = stats.lateDiscarded;
    },
  });
  new Counter({
    name: `${prefix}batch_savings_usd_total`,
    help: 'Live price minus batch price of the answers batches gave, USD.',
    registers,
    collect() {
      if (stats.savingsUsd > seen.savings) this.inc(stats.savingsUsd - seen.savings);
      seen.savings = stats.savingsUsd;
    },
  });
  new Histogram({
    name: `${prefix}batch_size`,
    help: 'Requests per submitted batch.',
    buckets: SIZE_BUCKETS,
    registers,
    collect() {
      for (const n of stats.sizes.splice(0)) this.observe(n);
    },
  });
  new Histogram({
    name: `${prefix}batch_completion_seconds`,
    help: 'Time from a batch\'s submission to its end (completed, failed, expired or cancelled), seconds.',
    buckets: COMPLETION_BUCKETS_S,
    registers,
    collect() {
      for (const ms of stats.completionMs.splice(0)) this.observe(ms / 1000);
    },
  });
  new Gauge({
    name: `${prefix}batches_open`,
    help: 'Batches with a request not yet answered.',
    registers,
    collect() {
      this.set(sources.openBatches());
    },
  });
  new Gauge({
    name: `${prefix}batch_waiting_requests`,
    help: 'Requests chosen for batch, waiting for their batch to be submitted.',
    registers,
    collect() {
      this.set(sources.waiting());
    },
  });
}
