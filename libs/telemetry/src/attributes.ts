/**
 * Span and event names and attribute keys, in one place so the Jaeger view, the e2e test and the
 * DESIGN.md tracing section agree. `gen_ai.*` and `error.type` follow the OpenTelemetry semantic
 * conventions (gen_ai is still "development" there, so the keys are spelled out here rather than
 * imported from the incubating package); `switchyard.*` are ours.
 */
export const SPAN = {
  request: 'switchyard.request',
  decide: 'switchyard.decide',
  /** Client span per provider attempt: `chat <model>`, as gen_ai conventions name it. */
  chat: (model: string) => `chat ${model}`,
} as const;

export const EVENT = {
  fallback: 'switchyard.fallback',
  retry: 'switchyard.retry',
  hedgeStarted: 'switchyard.hedge.started',
  hedgeWon: 'switchyard.hedge.won',
  continuation: 'switchyard.continuation',
  breakerTransition: 'switchyard.breaker.transition',
  degraded: 'switchyard.degraded',
  escalated: 'switchyard.escalated',
} as const;

export const ATTR = {
  requestId: 'switchyard.request.id',
  tenant: 'switchyard.tenant',
  requestClass: 'switchyard.request.class',
  objective: 'switchyard.objective',
  status: 'switchyard.status',
  errorKind: 'switchyard.error.kind',
  attempts: 'switchyard.attempts',
  costUsd: 'switchyard.cost_usd',
  latencyMs: 'switchyard.latency_ms',
  servedArm: 'switchyard.served.arm',
  servedModel: 'switchyard.served.model',
  inputTokens: 'switchyard.usage.input_tokens',
  outputTokens: 'switchyard.usage.output_tokens',
  degraded: 'switchyard.degraded',
  degradedFrom: 'switchyard.degraded.from',
  escalated: 'switchyard.escalated.reason',

  step: 'switchyard.step',
  candidates: 'switchyard.candidates',
  candidateArms: 'switchyard.candidates.arms',
  candidateUtility: 'switchyard.candidates.utility',
  candidateSuccess: 'switchyard.candidates.sampled_success',
  candidateLatency: 'switchyard.candidates.sampled_latency_ms',
  candidateCost: 'switchyard.candidates.expected_cost_usd',
  excluded: 'switchyard.excluded',
  excludedArms: 'switchyard.excluded.arms',
  excludedReasons: 'switchyard.excluded.reasons',
  chosenArm: 'switchyard.decision.chosen_arm',
  reason: 'switchyard.decision.reason',
  exploration: 'switchyard.decision.exploration',

  arm: 'switchyard.arm',
  attempt: 'switchyard.attempt',
  attemptRole: 'switchyard.attempt.role',
  outcome: 'switchyard.outcome',
  retryAfterMs: 'switchyard.retry_after_ms',

  fallbackFrom: 'switchyard.fallback.from',
  fallbackTo: 'switchyard.fallback.to',
  fallbackReason: 'switchyard.fallback.reason',
  retryArm: 'switchyard.retry.arm',
  retryAttempt: 'switchyard.retry.attempt',
  retryDelayMs: 'switchyard.retry.delay_ms',
  retryReason: 'switchyard.retry.reason',
  hedgePrimary: 'switchyard.hedge.primary',
  hedgeArm: 'switchyard.hedge.arm',
  hedgeDelayMs: 'switchyard.hedge.delay_ms',
  hedgeWinner: 'switchyard.hedge.winner',
  hedgeLoser: 'switchyard.hedge.loser',
  hedgeLoserCancelled: 'switchyard.hedge.loser_cancelled',
  continuation: 'switchyard.continuation.number',
  continuationTokensSoFar: 'switchyard.continuation.output_tokens_so_far',
  breakerArm: 'switchyard.breaker.arm',
  breakerFrom: 'switchyard.breaker.from',
  breakerTo: 'switchyard.breaker.to',
  breakerReason: 'switchyard.breaker.reason',
  eventReason: 'switchyard.reason',

  genAiOperation: 'gen_ai.operation.name',
  genAiProvider: 'gen_ai.provider.name',
  genAiRequestModel: 'gen_ai.request.model',
  genAiResponseModel: 'gen_ai.response.model',
  genAiInputTokens: 'gen_ai.usage.input_tokens',
  genAiOutputTokens: 'gen_ai.usage.output_tokens',
  genAiFinishReasons: 'gen_ai.response.finish_reasons',
  genAiInputMessages: 'gen_ai.input.messages',
  genAiOutputMessages: 'gen_ai.output.messages',
  errorType: 'error.type',
  httpStatus: 'http.response.status_code',
} as const;
