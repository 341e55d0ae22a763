// Stationary stretches of a run: where nothing in the scenario has changed for a while, so a
// learner that still spreads first attempts away from its own best guess is exploring for nothing.
import type { Scenario } from './scenario';
import type { World } from './world';

/**
 * How long after a scenario event a decision is not judged as stationary: 3 minutes covers the
 * late feedback of the shipped scenarios (up to 2 minutes) plus a minute of learning from it, so
 * exploration right after a change (which is wanted) is not counted against a policy.
 */
export const STATIONARY_AFTER_MS = 3 * 60_000;

/**
 * Every instant (ms since the run's start) at which the world changes: the run's start (learning
 * from the prior), each outage's start and end (outage processes as drawn for the seed), latency
 * spikes, rate-limit, quality-drop and failure-rate windows, price changes, and arms joining or
 * leaving the routing table. Sorted.
 */
export function eventTimes(scenario: Scenario, world: World): number[] {
  const times = [0];
  for (const tl of world.timelines) {
    for (const w of [...tl.outages, ...tl.spikes, ...tl.rateLimits, ...tl.quality, ...tl.failureRate]) times.push(w.start, w.end);
    for (const p of tl.prices) times.push(p.at);
  }
  for (const e of scenario.events) {
    if (e.type !== 'arm-added' && e.type !== 'arm-removed') continue;
    const req = world.requests[e.atRequest];
    if (req) times.push(req.at);
  }
  return times.sort((a, b) => a - b);
}

/** A predicate on ms since the run's start: no event in the last `afterMs` (events at `t` itself count). */
export function stationaryAt(times: readonly number[], afterMs = STATIONARY_AFTER_MS): (t: number) => boolean {
  return (t) => {
    // The last event at or before t (times are sorted).
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 || t - times[lo - 1] >= afterMs;
  };
}
