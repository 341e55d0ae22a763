import type { BatchMode } from '@switchyard/contracts';
import {
  costUsd,
  decideBatch,
  estimatePromptTokens,
  expectedNetValue,
  type ArmConfig,
  type BatchDecision,
  type CandidateScore,
  type CompletionTimeModel,
  type Decision,
  type RouteRequest,
  type ValueParams,
  type ValueTerms,
} from '@switchyard/core';

/** Anthropic's `custom_id` rule; OpenAI's is looser, so one rule serves both. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export interface BatchOption {
  arm: ArmConfig;
  terms: ValueTerms;
  decision: BatchDecision;
}

/** One request's choice between the live arm the selector chose and the best batch option, with both for the trace. */
export interface BatchChoice {
  via: 'live' | 'batch';
  mode: BatchMode;
  live: { arm: ArmConfig; terms: ValueTerms; value: number };
  /** The best batch option (absent: no batch-capable arm among the candidates). */
  batch?: BatchOption;
  why: 'batch_better' | 'live_better' | 'deadline_too_close' | 'no_batch_arm' | 'preferred';
}

export interface BatchChoiceInput {
  request: RouteRequest;
  mode: Exclude<BatchMode, 'never'>;
  /** The selector's live decision (Router.quote). */
  quote: Decision;
  value: ValueParams;
  /** The arm of a candidate id (the routing table serving now). */
  armOf: (armId: string) => ArmConfig | undefined;
  /** Arms whose provider has a batch API the router can use. */
  batchCapable: (arm: ArmConfig) => boolean;
  completion: (armId: string) => CompletionTimeModel;
  priceFactor: number;
  /** Ms from now to the request's deadline. */
  deadlineMs: number;
  liveBudgetMs: number;
}

/**
 * Live or batch for one request, with the one value function: the chosen live arm's expected net
 * value against the best batch option among the candidate arms (each priced at the batch factor,
 * with its learnt completion-time distribution and the live rescue, see decideBatch). `allow`
 * takes batch when it is worth more; `prefer` whenever some batch option leaves time for the rescue.
 */
export function chooseBatch(input: BatchChoiceInput): BatchChoice {
  const { quote, request, value } = input;
  const candidates = new Map(quote.candidates.map((c) => [c.arm, c]));
  const promptTokens = estimatePromptTokens(request.messages);
  const termsOf = (arm: ArmConfig) => termsFor(arm, candidates.get(arm.id), promptTokens, request.params.maxTokens);
  const liveTerms = termsOf(quote.chosen);
  const live = { arm: quote.chosen, terms: liveTerms, value: expectedNetValue(liveTerms, value) };
  // The candidates the selector scored are the eligible arms (the chosen one among them).
  const arms = new Map<string, ArmConfig>([[quote.chosen.id, quote.chosen]]);
  for (const c of quote.candidates) {
    const arm = input.armOf(c.arm);
    if (arm) arms.set(arm.id, arm);
  }
  let best: BatchOption | undefined;
  for (const arm of arms.values()) {
    if (!input.batchCapable(arm) || !CUSTOM_ID.test(request.id)) continue;
    const terms = termsOf(arm);
    const decision = decideBatch(
      { live: terms, batchPriceFactor: input.priceFactor, completion: input.completion(arm.id), deadlineMs: input.deadlineMs, liveBudgetMs: input.liveBudgetMs },
      value,
    );
    if (!best || decision.batchValue > best.decision.batchValue) best = { arm, terms, decision };
  }
  const mode = input.mode;
  if (!best) return { via: 'live', mode, live, why: 'no_batch_arm' };
  if (best.decision.why === 'deadline_too_close') return { via: 'live', mode, live, batch: best, why: 'deadline_too_close' };
  if (mode === 'prefer') return { via: 'batch', mode, live, batch: best, why: 'preferred' };
  return best.decision.batchValue > live.value ? { via: 'batch', mode, live, batch: best, why: 'batch_better' } : { via: 'live', mode, live, batch: best, why: 'live_better' };
}

/** What the selector expects of `arm` for this request; a selector that scores nothing (baselines) gets list price, certain success and half the timeout. */
function termsFor(arm: ArmConfig, scored: CandidateScore | undefined, promptTokens: number, maxTokens: number | undefined): ValueTerms {
  return {
    pGood: (scored?.sampledSuccess ?? 1) * (scored?.sampledQuality ?? 1),
    expectedCostUsd: scored?.expectedCostUsd ?? costUsd(arm, { inputTokens: promptTokens, outputTokens: Math.min(maxTokens ?? arm.maxOutputTokens, arm.maxOutputTokens) }),
    expectedLatencyMs: scored?.sampledLatencyMs ?? arm.timeouts.totalMs / 2,
  };
}
