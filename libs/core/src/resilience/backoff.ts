import type { Random } from '../ports/random';
import type { BackoffConfig } from './resilience-config';

/** The ceiling of the n-th retry's delay (n = 0 for the first retry): min(cap, base × factor^n). */
export function backoffCeiling(config: BackoffConfig, retryIndex: number): number {
  const grown = config.baseMs * config.factor ** Math.max(0, retryIndex);
  return Math.min(config.capMs, Number.isFinite(grown) ? grown : config.capMs);
}

/**
 * Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, ceiling).
 * Spreads the retries of many clients hit by the same outage instead of synchronising them.
 */
export function fullJitterDelay(config: BackoffConfig, retryIndex: number, random: Random): number {
  return Math.floor(random.next() * backoffCeiling(config, retryIndex));
}
