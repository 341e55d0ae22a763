// Time compression for live runs: a 20-minute scenario at --time-scale 4 runs in 5 minutes. Event
// times, the run length, the arrival-rate profile and the feedback delay (a minute late stays the
// same share of a quality drop) shrink by the factor; what a provider or the router does per
// request does not (latencies, Retry-After, timeouts, SLOs, deadlines, the arrival rate itself). So a compressed run has fewer requests and shorter outages measured against
// unchanged breaker open times and cooldowns: it is a quicker, harsher approximation of the
// real-time run (`--time-scale 1`, the default), not the same experiment.
import type { Scenario, ScenarioEvent } from '../policy/scenario';

export function scaleScenario(scenario: Scenario, factor: number): Scenario {
  if (!(factor > 0)) throw new Error(`--time-scale must be a positive number, got ${factor}`);
  if (factor === 1) return scenario;
  const t = (ms: number) => Math.round(ms / factor);
  const events = scenario.events.map((e): ScenarioEvent => {
    switch (e.type) {
      case 'outage-process':
        return { ...e, start: t(e.start), mtbf: t(e.mtbf), mttr: t(e.mttr) };
      case 'price-change':
        return { ...e, at: t(e.at) };
      case 'arm-added':
      case 'arm-removed':
        return e;
      case 'outage':
      case 'latency-spike':
      case 'rate-limit':
      case 'quality-drop':
      case 'failure-rate':
        return { ...e, start: t(e.start), end: t(e.end) };
    }
  });
  const arrival = scenario.workload.arrival;
  return {
    ...scenario,
    duration: t(scenario.duration),
    events,
    feedback: { ...scenario.feedback, delay: t(scenario.feedback.delay) },
    workload: { ...scenario.workload, arrival: { ...arrival, profile: arrival.profile.map((p) => ({ ...p, at: t(p.at) })) } },
  };
}
