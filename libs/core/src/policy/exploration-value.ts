import { normalCdf } from '../stats/sampler';

/**
 * What trying an arm again could teach, priced against what it costs now (a knowledge-gradient
 * rule over several calls, KG*). Thompson sampling proposes an arm other than the one the
 * posterior means favour whenever the draws happen to say so, which is as often as the posteriors
 * overlap — forever, when evidence is sparse or kept short. This rule keeps such a proposal only
 * while learning is worth its price:
 *
 *   explore ⇔ max over k of [ H · σ̃(k) · f(−Δ/σ̃(k)) − k · Δ ] > 0
 *
 * - Δ: how much less the proposed arm is believed to be worth per request than the best one
 *   (posterior means);
 * - σ̃(k): how far k more calls to the proposed arm are expected to move that belief (its
 *   preposterior standard deviation), summed over what those calls would show: success, latency,
 *   answer checks and feedback (at the rate feedback comes);
 * - f(z) = z·Φ(z) + φ(z): the expected gain of switching when the moved belief beats the best;
 * - H: the requests of this class still to come that the lesson would serve (the recent traffic of
 *   the class over the exploration horizon).
 * An arm nobody knows (a new model, or one whose evidence went stale) has a wide belief and is
 * tried; an arm known to be worse is not, however often its draws come up.
 */

/** One thing a call teaches about an arm's value: its variance now (in USD²), its evidence, and how much of it one call brings. */
export interface Lesson {
  /** The variance of the arm's net value per request due to this signal, in USD². */
  variance: number;
  /** The pseudo-observations behind that belief now. */
  evidence: number;
  /** Observations of this signal per call (1 for outcomes; the feedback rate for feedback). */
  perCall: number;
}

/** Call counts tried for k: one call up to a few hundred, in steps of four. */
const LOOKAHEAD = [1, 4, 16, 64, 256] as const;

/** f(z) = z·Φ(z) + φ(z), the expected positive part of a unit normal shifted by z. */
export function expectedGain(z: number): number {
  return z * normalCdf(z) + Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/**
 * The net worth (USD) of learning from the best number of further calls to an arm that is
 * believed to be `gap` USD per request worse than the best (≥ 0), with `horizon` requests to gain
 * from it; positive: worth exploring. See the module comment.
 */
export function explorationWorth(lessons: readonly Lesson[], gap: number, horizon: number): number {
  let best = -Infinity;
  for (const k of LOOKAHEAD) {
    let moved = 0;
    for (const lesson of lessons) {
      const seen = k * lesson.perCall;
      if (seen > 0) moved += (lesson.variance * seen) / (lesson.evidence + seen + 1);
    }
    if (moved <= 0) continue;
    const sd = Math.sqrt(moved);
    const worth = horizon * sd * expectedGain(-gap / sd) - k * gap;
    if (worth > best) best = worth;
  }
  return best;
}

/**
 * Requests per class over a horizon: a count that decays with time constant `horizonMs`, so it
 * reads as the traffic of the last horizon (what the next is expected to bring). A class seen for
 * less than a horizon is extrapolated from its rate so far: a router that just started expects
 * its traffic to go on, and explores as a long-running one would.
 */
export class ClassTraffic {
  private readonly counts = new Map<string, { count: number; at: number; since: number }>();

  constructor(private readonly horizonMs: number) {}

  /** Counts one request of `requestClass` at `now` and returns the class's traffic over the horizon. */
  add(requestClass: string, now: number): number {
    let entry = this.counts.get(requestClass);
    if (!entry) {
      if (this.counts.size >= 1_024) this.counts.clear();
      entry = { count: 0, at: now, since: now };
      this.counts.set(requestClass, entry);
    }
    const dt = now - entry.at;
    if (dt > 0) entry.count *= Math.exp(-dt / this.horizonMs);
    entry.count += 1;
    entry.at = Math.max(entry.at, now);
    // The decayed count a steady rate would have reached by now, as a share of its long-run level.
    const age = Math.max(1_000, entry.at - entry.since);
    const filled = age >= 20 * this.horizonMs ? 1 : 1 - Math.exp(-age / this.horizonMs);
    return entry.count / filled;
  }
}
