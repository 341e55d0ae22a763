// A scenario (under one seed) as a provider-sim configuration: one simulator model per arm, and a
// phase at every instant where an arm's true state changes (outages, latency spikes, quota changes,
// brown-outs). What the simulator cannot show is applied elsewhere or reported:
// - quality is judged by the client (bench/policy/judgement.ts), which also gives routers the
//   scenario's feedback on it (feedback.ts);
// - price changes are applied to the cost the client computes and, for Switchyard routers, written
//   into the router's routing table file at their time (the router's file watch reloads it);
// - content blocks are drawn per call by the simulator (independent across arms), whereas the
//   in-process simulator nests them through one per-request draw; there is no prompt rewrite live.
import type { ModelInput, PhaseSpec, SimConfigInput } from '../../apps/provider-sim/src';
import type { Scenario, ScenarioArm } from '../policy/scenario';
import { armStateAt, type ArmState, type World } from '../policy/world';

/** Simulator API for an arm: Anthropic's wire format for provider `anthropic`, OpenAI's otherwise. */
export function apiOf(arm: ScenarioArm): 'openai' | 'anthropic' {
  return arm.provider === 'anthropic' ? 'anthropic' : 'openai';
}

/** The model name the simulator serves for an arm (unique: the arm id). */
export function simModelOf(arm: ScenarioArm): string {
  return arm.id;
}

/** An arm's state as a full simulator patch (absolute values, so phases never depend on order). */
function statePatch(arm: ScenarioArm, s: ArmState): NonNullable<ModelInput['faults']> & { multiplier: number } {
  const limit = s.rateLimit;
  return {
    multiplier: s.latencyMultiplier,
    // An error outage answers 503/529 at once; a timeout outage hangs until the caller gives up.
    outage: s.down === 'error',
    hang: s.down === 'timeout' ? 1 : 0,
    error5xx: s.failureRate,
    contentPolicy: arm.contentPolicyRate,
    rateLimit: limit ? { rps: limit.rps, burst: limit.burst, ...(limit.retryAfterMs !== undefined ? { retryAfterS: limit.retryAfterMs / 1000 } : {}) } : false,
  };
}

export function simConfigFor(scenario: Scenario, world: World): SimConfigInput {
  const models: ModelInput[] = [];
  const phases: PhaseSpec[] = [];
  scenario.arms.forEach((arm, i) => {
    const tl = world.timelines[i];
    const { multiplier, ...faults } = statePatch(arm, armStateAt(arm, tl, 0));
    models.push({
      name: simModelOf(arm),
      api: apiOf(arm),
      contextWindow: arm.contextWindow,
      maxOutputTokens: arm.maxOutputTokens,
      // Output length is set per request through max_tokens (the scenario's drawn output tokens).
      outputTokens: arm.maxOutputTokens,
      latency: { medianMs: arm.latency.medianMs, p95Ms: arm.latency.p95Ms, multiplier, ...(arm.latency.tail ? { tail: arm.latency.tail } : {}) },
      faults: { ...faults, error5xxStatuses: [500], contentPolicyMode: 'error' },
    });
    const changes = new Set<number>();
    for (const w of [...tl.outages, ...tl.spikes, ...tl.rateLimits, ...tl.failureRate]) {
      changes.add(w.start);
      changes.add(w.end);
    }
    for (const at of [...changes].filter((t) => t > 0 && t < scenario.duration).sort((a, b) => a - b)) {
      const { multiplier: m, ...f } = statePatch(arm, armStateAt(arm, tl, at));
      phases.push({ atMs: at, model: simModelOf(arm), api: apiOf(arm), patch: { latency: { multiplier: m }, faults: f } });
    }
  });
  return { seed: world.seed, models, phases: phases.sort((a, b) => a.atMs - b.atMs) };
}

/** Price of an arm at scenario time `t` (ms), after any price changes. */
export function priceAt(scenario: Scenario, world: World, armIndex: number, t: number): { inputPer1M: number; outputPer1M: number } {
  let price = scenario.arms[armIndex].price;
  for (const p of world.timelines[armIndex].prices) if (p.at <= t) price = { inputPer1M: p.inputPer1M, outputPer1M: p.outputPer1M };
  return price;
}
