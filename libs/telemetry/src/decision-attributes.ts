import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { CandidateScore, Decision } from '@switchyard/core';
import { ATTR } from './attributes';

const KNOWN_DECISION_FIELDS = new Set(['chosen', 'candidates', 'excluded', 'reason', 'exploration', 'probe']);

/**
 * A decision as span attributes. The whole candidate list goes in as one JSON string (what a person
 * reads in Jaeger); the per-candidate arrays are there for queries and only when every candidate
 * has that score, since attribute arrays cannot have holes. Fields a policy adds to the decision
 * later (breaker states, budget headroom, ...) are kept as `switchyard.decision.<field>` JSON.
 */
export function decisionAttributes(decision: Decision, step: number): Attributes {
  const attributes: Attributes = {
    [ATTR.step]: step,
    [ATTR.chosenArm]: decision.chosen.id,
    [ATTR.reason]: decision.reason,
    [ATTR.exploration]: decision.exploration,
    [ATTR.probe]: decision.probe ?? false,
    [ATTR.candidates]: JSON.stringify(decision.candidates),
    [ATTR.candidateArms]: decision.candidates.map((c) => c.arm),
    [ATTR.excluded]: JSON.stringify(decision.excluded),
    [ATTR.excludedArms]: decision.excluded.map((e) => e.arm),
    [ATTR.excludedReasons]: decision.excluded.map((e) => e.reason),
  };
  setScores(attributes, ATTR.candidateUtility, decision.candidates, (c) => c.utility);
  setScores(attributes, ATTR.candidateSuccess, decision.candidates, (c) => c.sampledSuccess);
  setScores(attributes, ATTR.candidateLatency, decision.candidates, (c) => c.sampledLatencyMs);
  setScores(attributes, ATTR.candidateCost, decision.candidates, (c) => c.expectedCostUsd);
  if (decision.candidates.length > 0 && decision.candidates.every((c) => c.breaker !== undefined)) attributes[ATTR.candidateBreakers] = decision.candidates.map((c) => c.breaker as string);
  for (const [field, value] of Object.entries(decision)) {
    if (KNOWN_DECISION_FIELDS.has(field) || value === undefined) continue;
    attributes[`switchyard.decision.${field}`] = asAttribute(value);
  }
  return attributes;
}

function setScores(attributes: Attributes, key: string, candidates: readonly CandidateScore[], score: (c: CandidateScore) => number | undefined): void {
  const values = candidates.map(score);
  if (values.length > 0 && values.every((v): v is number => typeof v === 'number')) attributes[key] = values;
}

function asAttribute(value: unknown): AttributeValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}
