// How a scenario judges one answer, and the feedback a user gives on it. One definition for the
// in-process simulator (simulate.ts: what the router learns, what is scored) and for live runs
// (bench/live: the client's score and the feedback it publishes to the router's feedback topic),
// so a live router is judged, and taught, exactly as the simulated one is.
import type { Scenario } from './scenario';
import { armStateAt, classQuality, type SimRequest, type World } from './world';

/** The `source` of scenario feedback (the router counts each (request, metric, source) once). */
export const FEEDBACK_SOURCE = 'sim';

export interface AnswerJudgement {
  /** The answer passed the deterministic answer checks (the request's check draw vs the arm's failure rate). */
  passedChecks: boolean;
  /** Passed the checks and acceptable: the request's quality draw is below the serving arm's true class quality then. */
  acceptable: boolean;
}

/** The answer arm `servedArm` (scenario index) gave to `req`, judged at scenario time `atMs`. */
export function judgeAnswer(scenario: Scenario, world: World, req: SimRequest, servedArm: number, atMs: number): AnswerJudgement {
  const arm = scenario.arms[servedArm];
  const passedChecks = req.uCheck >= arm.checkFailureRate;
  const quality = classQuality(arm, armStateAt(arm, world.timelines[servedArm], atMs), scenario.workload.classes[req.classIndex].name);
  return { passedChecks, acceptable: passedChecks && req.uQuality < quality };
}

/**
 * The scenario's feedback on an ok answer: for its `share` of the answers that passed the checks
 * (the request's feedback draw), the verdict flipped with probability `noise` (its noise draw),
 * arriving `delay` after the answer. Undefined when this answer gets none.
 */
export function feedbackOn(scenario: Scenario, req: SimRequest, judgement: AnswerJudgement): { score: 0 | 1; delayMs: number } | undefined {
  const fb = scenario.feedback;
  if (!judgement.passedChecks || req.uFeedback >= fb.share) return undefined;
  const good = req.uNoise < fb.noise ? !judgement.acceptable : judgement.acceptable;
  return { score: good ? 1 : 0, delayMs: fb.delay };
}
