import { costUsd } from '../routing/arm';
import type { RollingCount } from '../stats/rolling-count';
import type { ArmState } from './arm-learner';

/** Success below this is treated as this, so cost per success stays finite. */
const MIN_SUCCESS = 1e-3;

/** Per-arm view for /health/routing. */
export interface ArmPolicySnapshot {
  arm: string;
  observations: number;
  successMean: number;
  /** Pseudo-observations behind successMean (≤ 1/(1−γ)). */
  successEvidence: number;
  latencyMedianMs: number;
  latencyP95EstimateMs: number;
  /** From the streaming sketch over the recent window; undefined before the first ok outcome. */
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  expectedCostUsd?: number;
  costPerSuccessUsd?: number;
  selectionsLastMinute: number;
  selectionShareLastMinute: number;
  lastObservedAt?: number;
  /** P(acceptable | ok) over all classes, and the scores behind it. */
  qualityMean: number;
  qualityEvidence: number;
  classes: Record<string, { observations: number; successMean: number; qualityMean: number; qualityEvidence: number; p95Ms?: number }>;
}

/** What the policy knows about each arm, and how often it chose it in the last minute. */
export function policySnapshot(states: ReadonlyMap<string, ArmState>, selections: RollingCount): ArmPolicySnapshot[] {
  const total = selections.total();
  return [...states.entries()].map(([arm, state]) => {
    const g = state.global;
    const point = g.latency.pointEstimate();
    let expectedCostUsd: number | undefined;
    if (state.config) {
      expectedCostUsd = costUsd(state.config, {
        inputTokens: g.tokens.input ?? 0,
        outputTokens: Math.min(g.tokens.output ?? state.priors.outputTokens, state.config.maxOutputTokens),
      });
    }
    const selected = selections.get(arm);
    const classes: ArmPolicySnapshot['classes'] = {};
    for (const [name, posterior] of state.classes) {
      classes[name] = {
        observations: posterior.observations,
        successMean: posterior.success.mean,
        qualityMean: posterior.quality.mean,
        qualityEvidence: posterior.quality.evidence,
        p95Ms: state.classSketches.get(name)?.quantile(0.95),
      };
    }
    return {
      arm,
      observations: g.observations,
      successMean: g.success.mean,
      successEvidence: g.success.evidence,
      qualityMean: g.quality.mean,
      qualityEvidence: g.quality.evidence,
      latencyMedianMs: point.medianMs,
      latencyP95EstimateMs: point.p95Ms,
      p50Ms: state.sketch.quantile(0.5),
      p95Ms: state.sketch.quantile(0.95),
      p99Ms: state.sketch.quantile(0.99),
      expectedCostUsd,
      costPerSuccessUsd: expectedCostUsd === undefined ? undefined : expectedCostUsd / Math.max(MIN_SUCCESS, g.success.mean * g.quality.mean),
      selectionsLastMinute: selected,
      selectionShareLastMinute: total ? selected / total : 0,
      lastObservedAt: g.lastObservedAt,
      classes,
    };
  });
}
