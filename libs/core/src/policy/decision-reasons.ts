import type { ArmConfig } from '../routing/arm';
import type { CandidateScore } from '../routing/arm-selector';
import type { Objective } from '../routing/route-request';
import type { ValueParams } from '../value/net-value';
import { formatUsd } from './format';

/** Why the best-scoring arm won: its net value spelled out term by term, and the runner-up's. */
export function explainChoice(objective: Objective, value: ValueParams, best: CandidateScore, runnerUp: CandidateScore | undefined, costWeight: number): string {
  const s = best.sampledSuccess as number;
  const q = best.sampledQuality as number;
  // One string built by concatenation (no parts array to join): every decision writes one.
  let text =
    `highest sampled net value ${formatUsd(best.utility as number)} ` +
    `= ${formatUsd(value.valueUsd)} × P(ok ∧ in SLO) ${s.toFixed(3)} × P(acceptable) ${q.toFixed(3)} ` +
    `− cost ${formatUsd(best.expectedCostUsd as number)} − latency ${formatUsd(best.latencyCostUsd as number)} (${objective} value)`;
  if (runnerUp) text += ` over ${runnerUp.arm} ${formatUsd(runnerUp.utility as number)}`;
  if (costWeight > 1) text += ` cost weight ×${costWeight.toFixed(2)} from budget pacing`;
  return text;
}

/**
 * A draw favoured `drawn`, but the posterior means favour the chosen arm and what further calls
 * to `drawn` could teach is not worth their price (exploration-value.ts).
 */
export function pricedReason(drawn: string, chosen: CandidateScore, gap: number, horizon: number, objective: Objective, value: ValueParams, costWeight: number): string {
  let text =
    `best by the posterior means; a draw favoured ${drawn}, believed ${formatUsd(gap)} per request worse, ` +
    `and what more calls to it could teach over ≈ ${Math.round(horizon)} requests of this class is not worth that ` +
    `(${objective} value ${formatUsd(value.valueUsd)} per good answer; expected cost ${formatUsd(chosen.expectedCostUsd as number)})`;
  if (costWeight > 1) text += ` cost weight ×${costWeight.toFixed(2)} from budget pacing`;
  return text;
}

/**
 * Names the probed arm, why it is probed, and the best-scoring arm by name (the probe may be it),
 * plus the exploration draw a probe displaced, so the reason reads without the code.
 */
export function probeReason(eligible: readonly ArmConfig[], candidates: readonly CandidateScore[], probe: number, best: number, second: number, drawn: number, objective: Objective, value: ValueParams, costWeight: number): string {
  const probed = eligible[probe].id;
  const scored = explainChoice(objective, value, candidates[best], second >= 0 ? candidates[second] : undefined, costWeight);
  let text = `half-open probe of ${probed}: its circuit breaker is half-open, so this request is the one call that tests whether ${probed} is back; `;
  text += probe === best ? `${probed} is also the best-scoring arm (${scored})` : `the best-scoring arm is ${eligible[best].id} (${scored}), not used for this request`;
  if (drawn >= 0 && drawn !== probe) text += `; the exploration floor had drawn ${eligible[drawn].id}, the probe takes its place`;
  return text;
}

/** An exploration-floor draw: the floor's rate and this arm's chance in the weighted draw. */
export function explorationReason(rate: number, affordable: number, chance: number): string {
  return (
    `exploration floor (${pct(rate)} of decisions): random among ${affordable} eligible arms, ` +
    `weighted to cheap and uncertain ones (P = ${pct(chance)} for this arm)`
  );
}

function pct(x: number): string {
  return `${+(x * 100).toFixed(2)}%`;
}
