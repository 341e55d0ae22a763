import { traitsOf } from '../errors/error-kind';
import type { RouterEvents } from '../events/router-events';
import type { AttemptOutcome, OutcomeSink } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { ArmConfig } from '../routing/arm';
import type { Run } from '../routing/route-run';
import type { LatencyEstimator } from '../stats/latency-estimator';
import type { BreakerRegistry } from './breaker-registry';

export interface HangWatchOptions {
  clock: Clock;
  events: RouterEvents;
  breakers: BreakerRegistry;
  outcomeSinks: readonly OutcomeSink[];
  latency?: LatencyEstimator;
  /** k in "k × the arm's recent P99" (0 turns the watch off). Default 1.5 (see RouterOptions). */
  afterP99Multiple?: number;
  /** Never sooner than this. Default 1 s. */
  minMs?: number;
}

export interface HangWatchHandle {
  /** Ends the watch; true when the attempt was already reported as hung. */
  stop(): boolean;
}

/**
 * Reports an attempt as a failure of its arm once it has run k × the arm's recent P99 (a hung
 * call), in the posterior and the breaker, long before the arm's timeout would say so.
 */
export class HangWatch {
  constructor(private readonly options: HangWatchOptions) {}

  /** Undefined when the arm has no P99 yet or its timeout (or the deadline) comes first. */
  watch(run: Run, arm: ArmConfig, attempt: number, signal: AbortSignal | undefined): HangWatchHandle | undefined {
    const multiple = this.options.afterP99Multiple ?? 1.5;
    const p99 = multiple > 0 ? this.options.latency?.p99?.(arm.id) : undefined;
    if (p99 === undefined) return undefined;
    const afterMs = Math.max(this.options.minMs ?? 1_000, multiple * p99);
    if (afterMs >= Math.min(arm.timeouts.totalMs, run.deadlineAt - this.options.clock.now())) return undefined;
    const { clock } = this.options;
    const watch = new AbortController();
    let reported = false;
    clock.sleep(afterMs, watch.signal).then(
      () => {
        if (signal?.aborted) return;
        reported = true;
        const { request } = run;
        const outcome: AttemptOutcome = {
          arm: arm.id,
          attempt,
          kind: 'timeout_read',
          ...traitsOf('timeout_read'),
          startedAt: clock.now() - afterMs,
          latencyMs: afterMs,
          costUsd: 0,
          usage: { inputTokens: 0, outputTokens: 0 },
          message: `still running after ${Math.round(afterMs)} ms (${multiple} × the arm's recent P99 of ${Math.round(p99)} ms): counted as hung`,
        };
        for (const sink of this.options.outcomeSinks) sink.record(outcome, request.class, `${request.id}:${attempt}:hung`);
        this.options.breakers.record(outcome, undefined, request.id);
        this.options.events.emit({ type: 'attempt.hung', requestId: request.id, at: clock.now(), arm: arm.id, attempt, afterMs });
      },
      () => undefined,
    );
    return {
      stop: () => {
        watch.abort('attempt finished');
        return reported;
      },
    };
  }
}
