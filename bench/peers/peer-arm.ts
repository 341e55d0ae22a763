// One scenario arm as the peers (LiteLLM, Portkey) are configured with it, in one place so that
// both peers see the same models, prices, context windows and per-attempt timeouts.
import type { Scenario } from '../policy/scenario';
import { apiOf, simModelOf } from '../live/sim-config';

export interface PeerArm {
  id: string;
  api: 'openai' | 'anthropic';
  /** Model name at the provider (the simulator). */
  model: string;
  inputPer1M: number;
  outputPer1M: number;
  contextWindow: number;
  /** Per-attempt timeout (LiteLLM has no per-request deadline; the client's timeout is the other bound). */
  timeoutMs: number;
}

/** The scenario's arms, in order, as peer arms pointed at the simulator's models. */
export function peerArms(scenario: Scenario): PeerArm[] {
  return scenario.arms.map((a) => ({
    id: a.id,
    api: apiOf(a),
    model: simModelOf(a),
    inputPer1M: a.price.inputPer1M,
    outputPer1M: a.price.outputPer1M,
    contextWindow: a.contextWindow,
    timeoutMs: a.timeoutMs,
  }));
}
