import type { RouterRuntime } from '../runtime';

/**
 * The Kafka side of /health/routing: whether any partition is stuck behind an old request, how old
 * the oldest unanswered request is, and what the publisher had to refuse or recover from.
 */
export interface PipelineReport {
  inFlight: number;
  oldestInFlightMs: number;
  /** Partitions whose oldest unfinished request is older than ROUTER_STUCK_AFTER_MS (commits cannot move). */
  stuckPartitions: number[];
  stuckAfterMs: number;
  producerRenewals: number;
  /** Records the broker refused for good, by reason. */
  publishRefused: Record<string, number>;
  /** Records nothing could be written for (DLQ refused too). */
  recordsDropped: number;
  recordLimitsBytes: Record<string, number>;
}

export function pipelineReport(runtime: Pick<RouterRuntime, 'transport' | 'output' | 'dlq' | 'env'>): PipelineReport {
  const t = runtime.transport.stats();
  const p = runtime.output.stats;
  return {
    inFlight: t.inFlight,
    oldestInFlightMs: t.oldestInFlightMs,
    stuckPartitions: t.stuckPartitions,
    stuckAfterMs: runtime.env.ROUTER_STUCK_AFTER_MS,
    producerRenewals: p.producerRenewals,
    publishRefused: Object.fromEntries(p.refused),
    recordsDropped: runtime.dlq.counts.dropped,
    recordLimitsBytes: runtime.output.describeLimits(),
  };
}
