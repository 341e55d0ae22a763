import type { DiscountedBeta } from './discounted-beta';

/**
 * An arm's success evidence from before a detected drop (its normal regime), kept while it is down
 * and given back when it recovers. Providers fail in outages and come back as they were: without
 * this, a recovered arm would restart from the few probe successes since the recovery — a posterior
 * that loses every draw against arms known to answer 99 % of the time, so it would wait on the
 * exploration floor for dozens of requests. If it comes back worse, the drop detector sees that
 * within a few failures, as it would for any arm.
 */
export class RegimeMemory {
  private saved: { successes: number; failures: number; mean: number; at: number } | undefined;

  /** Keeps `beta`'s evidence, unless a better regime is already kept (a drop during an outage). */
  remember(beta: DiscountedBeta, at: number): void {
    if (this.saved && this.saved.mean >= beta.mean) return;
    this.saved = { ...beta.counts, mean: beta.mean, at };
  }

  get holds(): boolean {
    return this.saved !== undefined;
  }

  /**
   * Replaces `beta`'s evidence with the kept regime's, aged by the staleness rule for the time the
   * arm was away (`decayPerMinute` per minute since the drop), plus `since` (what was seen since
   * the recovery). False, and nothing changed, when no regime is kept.
   */
  restore(beta: DiscountedBeta, now: number, decayPerMinute: number, since: { successes: number; failures: number }): boolean {
    const saved = this.saved;
    if (!saved) return false;
    this.saved = undefined;
    const age = Math.pow(decayPerMinute, Math.max(0, now - saved.at) / 60_000);
    beta.resetEvidence(saved.successes * age + since.successes, saved.failures * age + since.failures);
    return true;
  }
}
