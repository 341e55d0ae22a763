import { Registry } from 'prom-client';
import { registerBatchMetrics } from './batch-metrics';
import { BatchStats } from './batch-stats';

describe('batch metrics', () => {
  it('reports answers by served_via, batch sizes and completion times, rescues by reason, late results and savings at scrape time', async () => {
    const registry = new Registry();
    const stats = new BatchStats();
    let live = 5;
    registerBatchMetrics('switchyard_', [registry], { stats, liveAnswers: () => live, openBatches: () => 2, waiting: () => 3 });
    stats.batched = 4;
    stats.answeredByBatch = 3;
    stats.rescue('deadline');
    stats.rescue('batch_expired', 2);
    stats.lateDiscarded = 1;
    stats.savingsUsd = 0.25;
    stats.sizes.push(4);
    stats.completionMs.push(90_000);
    const first = await registry.metrics();
    expect(first).toContain('switchyard_answers_served_total{served_via="batch"} 3');
    // Live: the Kafka edge's routed answers plus the rescues.
    expect(first).toContain('switchyard_answers_served_total{served_via="live"} 8');
    expect(first).toContain('switchyard_batch_rescues_total{reason="batch_expired"} 2');
    expect(first).toContain('switchyard_batch_late_results_discarded_total 1');
    expect(first).toContain('switchyard_batch_savings_usd_total 0.25');
    expect(first).toContain('switchyard_batch_size_bucket{le="5"} 1');
    expect(first).toContain('switchyard_batch_completion_seconds_bucket{le="300"} 1');
    expect(first).toContain('switchyard_batches_open 2');
    expect(first).toContain('switchyard_batch_waiting_requests 3');
    live = 6;
    stats.answeredByBatch = 4;
    const second = await registry.metrics();
    expect(second).toContain('switchyard_answers_served_total{served_via="batch"} 4');
    expect(second).toContain('switchyard_answers_served_total{served_via="live"} 9');
    // Observations are taken once.
    expect(second).toContain('switchyard_batch_size_count 1');
  });
});
