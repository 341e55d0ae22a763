import { traitsOf, type ErrorKind } from '../../errors/error-kind';
import type { AttemptOutcome, OutcomeSink } from '../../outcome/attempt-outcome';
import { SeededRandom, type Random } from '../../ports/random';
import { costUsd, type ArmConfig } from '../../routing/arm';
import type { ArmSelector, Decision } from '../../routing/arm-selector';
import type { RouteRequest } from '../../routing/route-request';
import { Sampler } from '../../stats/sampler';
import type { ManualClock } from '../../testing/manual-clock';
import type { OracleTruth } from './oracle-selector';

/** What an arm is really like at one moment of a simulation (the policy never sees this). */
export interface ArmTruth {
  /** P(ok) of one call. */
  successRate: number;
  /** Median latency of an ok call; ln latency ~ N(ln median, sigma²). */
  latencyMedianMs: number;
  latencySigma?: number;
  /** Kind of a failed call (default server_error, which counts against the arm). */
  failureKind?: ErrorKind;
  inputTokens?: number;
  outputTokens?: number;
}

export interface SyntheticArm {
  arm: ArmConfig;
  /** Truth at simulated time `now` for the `step`-th request (0-based). */
  truth: (now: number, step: number) => ArmTruth;
}

export interface SimulationOptions {
  selector: ArmSelector & Partial<OutcomeSink>;
  arms: readonly SyntheticArm[];
  clock: ManualClock;
  requests: number;
  /** Randomness of the environment, separate from the policy's (default seed 1). */
  environment?: Random;
  /** Simulated time between requests (default 100 ms). */
  intervalMs?: number;
  request?: Partial<RouteRequest>;
}

export interface SimulationStep {
  step: number;
  at: number;
  decision: Omit<Decision, 'excluded'>;
  outcome: AttemptOutcome;
}

export interface SimulationResult {
  steps: SimulationStep[];
  /** Share of requests in [from, to) that went to `armId`. */
  share(armId: string, from?: number, to?: number): number;
  /** Successes over requests in [from, to). */
  successRate(from?: number, to?: number): number;
  totalCostUsd(from?: number, to?: number): number;
}

/**
 * An in-process policy simulation: one decision per request on a virtual clock, outcomes drawn
 * from each arm's scripted truth and fed back to the selector when it is an OutcomeSink. No
 * router, no providers, no retries: it isolates what the policy learns. Deterministic for seeds.
 */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const env = new Sampler(options.environment ?? new SeededRandom(1));
  const interval = options.intervalMs ?? 100;
  const byId = new Map(options.arms.map((a) => [a.arm.id, a]));
  const eligible = options.arms.map((a) => a.arm);
  const steps: SimulationStep[] = [];
  for (let step = 0; step < options.requests; step++) {
    const request = simulatedRequest(step, options.request);
    const at = options.clock.now();
    const decision = options.selector.select({ request, tried: [], clock: options.clock }, eligible);
    const synthetic = byId.get(decision.chosen.id) as SyntheticArm;
    const outcome = drawOutcome(synthetic.arm, synthetic.truth(at, step), env, at);
    options.selector.record?.(outcome, request.class);
    steps.push({ step, at, decision, outcome });
    await options.clock.advance(interval);
  }
  const slice = (from = 0, to = steps.length) => steps.slice(from, to);
  return {
    steps,
    share: (armId, from, to) => {
      const s = slice(from, to);
      return s.length ? s.filter((x) => x.decision.chosen.id === armId).length / s.length : 0;
    },
    successRate: (from, to) => {
      const s = slice(from, to);
      return s.length ? s.filter((x) => x.outcome.kind === 'ok').length / s.length : 0;
    },
    totalCostUsd: (from, to) => slice(from, to).reduce((sum, x) => sum + x.outcome.costUsd, 0),
  };
}

export function simulatedRequest(step: number, overrides: Partial<RouteRequest> = {}): RouteRequest {
  return {
    id: `sim-${step}`,
    tenant: 'sim',
    class: 'default',
    messages: [{ role: 'user', content: 'x'.repeat(400) }],
    params: { maxTokens: 256 },
    routing: { objective: 'balanced' },
    ...overrides,
  };
}

/** One attempt outcome drawn from an arm's truth. */
export function drawOutcome(arm: ArmConfig, truth: ArmTruth, env: Sampler, startedAt: number, attempt = 1): AttemptOutcome {
  const ok = env.random.next() < truth.successRate;
  const latencyMs = Math.max(1, Math.round(Math.exp(env.normal(Math.log(truth.latencyMedianMs), truth.latencySigma ?? 0.3))));
  if (ok) {
    const usage = { inputTokens: truth.inputTokens ?? 100, outputTokens: truth.outputTokens ?? 200 };
    return { arm: arm.id, attempt, kind: 'ok', retryable: false, countsAgainstArm: false, startedAt, latencyMs, costUsd: costUsd(arm, usage), usage, finishReason: 'stop' };
  }
  const kind = truth.failureKind ?? 'server_error';
  return { arm: arm.id, attempt, kind, ...traitsOf(kind), startedAt, latencyMs, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 }, message: `simulated ${kind}` };
}

/** A truth function that switches at `step` (an outage, a silent drop, a recovery). */
export function changesAt(step: number, before: ArmTruth, after: ArmTruth): SyntheticArm['truth'] {
  return (_now, i) => (i < step ? before : after);
}

/** Truth for the OracleSelector: the expected values it would optimise, per arm, right now. */
export function oracleTruth(arms: readonly SyntheticArm[], stepAt: (now: number) => number): (arm: ArmConfig, now: number) => OracleTruth {
  const byId = new Map(arms.map((a) => [a.arm.id, a]));
  return (arm, now) => {
    const t = (byId.get(arm.id) as SyntheticArm).truth(now, stepAt(now));
    const usage = { inputTokens: t.inputTokens ?? 100, outputTokens: t.outputTokens ?? 200 };
    return { successRate: t.successRate, quality: 1, latencyMedianMs: t.latencyMedianMs, latencySigma: t.latencySigma ?? 0.3, expectedCostUsd: costUsd(arm, usage) };
  };
}
