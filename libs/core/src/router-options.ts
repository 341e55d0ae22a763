import type { BudgetGuard } from './budget/budget-guard';
import type { ResponseCache } from './cache/response-cache';
import type { RouterEvents } from './events/router-events';
import type { OutcomeSink } from './outcome/attempt-outcome';
import type { QualitySink } from './outcome/quality-observation';
import type { Clock } from './ports/clock';
import type { ProviderRegistry } from './ports/provider';
import type { Random } from './ports/random';
import type { AnswerChecks } from './quality/answer-checks';
import type { BreakerRegistry } from './resilience/breaker-registry';
import type { ConversationStickiness } from './resilience/conversation-stickiness';
import type { CredentialHealth } from './resilience/credential-health';
import type { ResilienceOverrides } from './resilience/resilience-config';
import type { RetryBudget } from './resilience/retry-budget';
import type { ArmConfig } from './routing/arm';
import type { ArmSelector } from './routing/arm-selector';
import type { EligibilityRule } from './routing/eligibility';
import type { LatencyEstimator } from './stats/latency-estimator';
import type { ReductionSettings } from './reduction/reduction-settings';
import type { FallbackGuardSettings } from './quality/fallback-guard';
import type { Embedder } from './cache/cache-ports';

/** What a Router is built from: the arms, ports, shared health state and the settings of each stage. */
export interface RouterOptions {
  arms: readonly ArmConfig[];
  providers: ProviderRegistry;
  selector: ArmSelector;
  clock: Clock;
  events?: RouterEvents;
  outcomeSinks?: readonly OutcomeSink[];
  eligibilityRules?: readonly EligibilityRule[];
  /** Applies when a request sets no `routing.deadlineMs`. */
  defaultDeadlineMs?: number;
  /** Hard cap on attempts per request, whatever the policies say. */
  maxAttempts?: number;
  /** Retry, breaker, fallback, hedge, ... settings over DEFAULT_RESILIENCE. */
  resilience?: ResilienceOverrides;
  /** Jitter. Defaults to a SeededRandom seeded from the clock: inject a real source in production. */
  random?: Random;
  /** Pass one to share breakers (health endpoints read `snapshot()`); otherwise the router makes its own. */
  breakers?: BreakerRegistry;
  /** Arms whose credentials the provider refused (out of rotation); the router makes its own otherwise. */
  credentials?: CredentialHealth;
  retryBudget?: RetryBudget;
  stickiness?: ConversationStickiness;
  /** Hedge delay source (P95 per arm) when `resilience.hedge.delayMs` is not set. */
  latency?: LatencyEstimator;
  /**
   * Budget caps: arms whose maximum cost no longer fits are ineligible, and every provider call
   * holds a reservation of its maximum cost, settled to the actual cost (or released) after.
   */
  budget?: BudgetGuard;
  /** Run on every answer; failures are quality observations, and reject answers of classes that say so. */
  answerChecks?: AnswerChecks;
  /** Learn from the answer checks (the adaptive policy). */
  qualitySinks?: readonly QualitySink[];
  /**
   * An attempt still running after this many times the arm's recent P99 (from `latency.p99`) is
   * counted against the arm at once, in the posterior and the breaker, so traffic leaves a provider
   * whose calls hang long before their timeouts fire (0 turns it off). Never sooner than
   * `hungMinMs` (default 1 s). Default 1.5, by measurement on bench/scenarios/timeout-outage.yaml
   * (5 seeds): traffic off a hung provider in 4.8 s at k = 1.5, 6.0 s at 2, 8.6 s at 3, with no
   * measurable cost on the stationary and latency-spike scenarios (a call that answers after a
   * report has it taken back).
   */
  hungAfterP99Multiple?: number;
  hungMinMs?: number;
  /**
   * The response cache: looked up before routing (mode read-write), written after an answer passes
   * its checks, and read as the last resort when every arm failed (any mode but off).
   */
  cache?: ResponseCache;
  /**
   * A streamed answer (`route(…, { stream })`) whose provider sends nothing for this long after
   * its first piece is stalled: the attempt fails as `timeout_read` and the answer continues on
   * another arm from what was sent. Default 10 s.
   */
  streamStallMs?: number;
  /**
   * Context reduction per class (`trim` / `summarize`): a conversation that fits no eligible arm's
   * window is reduced to fit the largest one, then routed as usual. Absent: never.
   */
  reduction?: ReductionSettings;
  /**
   * The fallback guard per class: an answer not from the first-choice arm is checked (similarity
   * to the class's recent accepted answers, or a judge arm) before it is published. Every such
   * answer is announced as a `fallback.answered` event either way (the review stream).
   */
  fallbackGuard?: { settings: FallbackGuardSettings; embedder?: Embedder; embedTimeoutMs?: number };
}
