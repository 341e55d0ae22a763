// What one live request came to, scored exactly like the in-process simulator scores it
// (bench/policy/simulate.ts): success = answered ok, acceptable (the request's quality draw is
// below the serving arm's true quality at that moment) and within the class SLO; utility
// U = S − λ_cost·cost/refCost − λ_lat·latency/SLO, and net value V·S − cost − latency cost (the
// router's own objective, value/net-value.ts), judged by bench/policy/judgement.ts as in the
// simulator (answer checks included). Latency is measured at the client (publish → response
// received), cost from the tokens the serving arm billed at its price at that moment.
import type { Scenario } from '../policy/scenario';
import type { RequestRecord } from '../policy/simulate';
import { realisedNetValue } from '@switchyard/core';
import { classValue } from '../policy/simulate';
import { judgeAnswer } from '../policy/judgement';
import type { SimRequest, World } from '../policy/world';
import { priceAt } from './sim-config';

/** A finished request as the client saw it (from a Switchyard response or a peer's HTTP answer). */
export interface LiveOutcome {
  ok: boolean;
  /** Client-measured: from handing the request over to receiving the answer. */
  latencyMs: number;
  /** Arm index that answered, -1 if none. */
  servedArm: number;
  /** Arm index of the first provider attempt, -1 if unknown or none. */
  firstArm: number;
  inputTokens: number;
  outputTokens: number;
  failure?: string;
}

export function scoreRequest(scenario: Scenario, world: World, refCost: readonly number[], req: SimRequest, o: LiveOutcome): RequestRecord {
  const c = scenario.workload.classes[req.classIndex];
  const doneAt = req.at + o.latencyMs;
  let cost = 0;
  let acceptable = false;
  if (o.servedArm >= 0) {
    const price = priceAt(scenario, world, o.servedArm, doneAt);
    cost = (o.inputTokens * price.inputPer1M + o.outputTokens * price.outputPer1M) / 1_000_000;
    acceptable = judgeAnswer(scenario, world, req, o.servedArm, doneAt).acceptable;
  }
  const success = o.ok && acceptable && o.latencyMs <= c.sloMs;
  const { costWeight: lc, latencyWeight: ll } = scenario.utility;
  return {
    index: req.index,
    at: req.at,
    ok: o.ok,
    success,
    latencyMs: o.latencyMs,
    costUsd: cost,
    firstArm: o.firstArm,
    servedArm: o.servedArm,
    utility: (success ? 1 : 0) - (lc * cost) / refCost[req.classIndex] - (ll * o.latencyMs) / c.sloMs,
    netValue: realisedNetValue({ good: success, costUsd: cost, latencyMs: o.latencyMs }, classValue(c)),
    ...(o.ok ? {} : { failure: o.failure ?? 'failed' }),
  };
}

/**
 * A request without a response: `dlq` when the router dead-lettered it (latency: until the DLQ
 * record arrived), `lost` when nothing came within the wait (should never happen; fails the run).
 */
export function unansweredOutcome(failure: 'dlq' | 'lost', waitedMs: number): LiveOutcome {
  return { ok: false, latencyMs: waitedMs, servedArm: -1, firstArm: -1, inputTokens: 0, outputTokens: 0, failure };
}

/**
 * Prompt text the simulator counts as ≈ `tokens` tokens (4 characters per token), asking
 * provider-sim for an answer of `answerTokens` (`[answer: N tokens]`): the answer then ends on its
 * own at the request's drawn length, as in the in-process simulator, and is not a cut answer (a
 * router's answer checks count an answer that ran into max_tokens against the arm).
 */
export function promptText(index: number, tokens: number, answerTokens: number): string {
  const head = `Request ${index} [answer: ${answerTokens} tokens]: summarise the following notes. `;
  const chars = Math.max(head.length, tokens * 4);
  return (head + 'rail yard signal data '.repeat(Math.ceil(chars / 22))).slice(0, chars);
}

/** The answer length request `req` gets: its drawn output tokens within its class's max tokens (as billed in-process). */
export function answerTokens(scenario: Scenario, req: SimRequest): number {
  return Math.max(1, Math.min(req.outputTokens, scenario.workload.classes[req.classIndex].maxTokens ?? Infinity));
}
