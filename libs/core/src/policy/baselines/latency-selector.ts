import type { AttemptOutcome, OutcomeSink } from '../../outcome/attempt-outcome';
import type { Clock } from '../../ports/clock';
import { outcomeTime } from '../../stats/outcome-time';
import type { ArmConfig } from '../../routing/arm';
import type { ArmSelector, SelectionContext } from '../../routing/arm-selector';

export interface LatencySelectorOptions {
  clock: Clock;
  /** Latencies averaged per arm (default 10). */
  window?: number;
  /** Cooldown after a 429, or when more than half the calls of the last minute failed (default 5 s). */
  cooldownMs?: number;
}

interface ArmStats {
  latencies: number[];
  cooldownUntil: number;
  /** Outcome times and results within the last minute. */
  recent: Array<{ at: number; ok: boolean }>;
}

/**
 * Baseline modelled on LiteLLM's `latency-based-routing`: the lowest mean of the last 10 latencies
 * wins (an arm with no data yet goes first), and an arm cools down for 5 s after a 429 or when
 * more than 50% of its calls in the last minute failed. Cooled-down arms are skipped unless every
 * eligible arm is cooling down.
 */
export class LatencySelector implements ArmSelector, OutcomeSink {
  readonly name = 'latency-based';
  private readonly stats = new Map<string, ArmStats>();
  private readonly window: number;
  private readonly cooldownMs: number;

  constructor(private readonly options: LatencySelectorOptions) {
    this.window = options.window ?? 10;
    this.cooldownMs = options.cooldownMs ?? 5_000;
  }

  select(_ctx: SelectionContext, eligible: readonly ArmConfig[]) {
    const now = this.options.clock.now();
    const warm = eligible.filter((arm) => (this.stats.get(arm.id)?.cooldownUntil ?? 0) <= now);
    const pool = warm.length ? warm : eligible;
    const candidates = eligible.map((arm) => ({ arm: arm.id, sampledLatencyMs: this.meanLatency(arm.id) }));
    let chosen = pool[0];
    let best = Infinity;
    for (const arm of pool) {
      const mean = this.meanLatency(arm.id) ?? 0;
      if (mean < best) {
        best = mean;
        chosen = arm;
      }
    }
    const reason = warm.length ? `lowest mean latency of the last ${this.window} calls` : 'every eligible arm is cooling down; lowest mean latency';
    return { chosen, candidates, reason, exploration: false };
  }

  record(outcome: AttemptOutcome): void {
    if (outcome.kind === 'cancelled') return;
    const now = this.options.clock.now();
    // At the time it happened: a replayed outcome older than the minute judged counts for nothing.
    const at = outcomeTime(outcome, now);
    if (at <= now - 60_000) return;
    const stats = this.statsFor(outcome.arm);
    const ok = outcome.kind === 'ok';
    if (ok) {
      stats.latencies.push(outcome.latencyMs);
      if (stats.latencies.length > this.window) stats.latencies.shift();
    }
    stats.recent.push({ at, ok });
    while (stats.recent.length && stats.recent[0].at <= now - 60_000) stats.recent.shift();
    const failures = stats.recent.filter((r) => !r.ok).length;
    if (outcome.kind === 'rate_limited' || failures * 2 > stats.recent.length) stats.cooldownUntil = Math.max(stats.cooldownUntil, at + this.cooldownMs);
  }

  /** Removed from the routing table (or another model now): its latencies and cooldown go. */
  forgetArm(armId: string): void {
    this.stats.delete(armId);
  }

  private meanLatency(armId: string): number | undefined {
    const latencies = this.stats.get(armId)?.latencies;
    if (!latencies?.length) return undefined;
    return latencies.reduce((a, b) => a + b, 0) / latencies.length;
  }

  private statsFor(armId: string): ArmStats {
    let stats = this.stats.get(armId);
    if (!stats) {
      stats = { latencies: [], cooldownUntil: 0, recent: [] };
      this.stats.set(armId, stats);
    }
    return stats;
  }
}
