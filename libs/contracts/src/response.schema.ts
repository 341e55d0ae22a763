import { z } from 'zod';

export const attemptSchema = z.object({
  arm: z.string(),
  outcome: z.string(),
  latencyMs: z.number(),
  costUsd: z.number(),
  /** Why the attempt was made: first | retry | fallback | hedge | continuation | rewrite. */
  role: z.string().optional(),
  /** The provider's advised wait (Retry-After) when it answered 429. */
  retryAfterMs: z.number().optional(),
});

export const responseV1Schema = z.object({
  schemaVersion: z.literal(1),
  id: z.string(),
  tenant: z.string(),
  /** The request class the answer was routed for (feedback is joined to it). */
  class: z.string().optional(),
  status: z.enum(['ok', 'failed']),
  output: z
    .object({
      text: z.string(),
      finishReason: z.enum(['stop', 'length', 'content_filter', 'tool_calls']),
      /** The calls the model asked for, when the request offered tools (finishReason tool_calls). */
      toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() })).optional(),
    })
    .optional(),
  servedBy: z.object({ arm: z.string(), provider: z.string(), model: z.string() }).optional(),
  attempts: z.array(attemptSchema),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() }),
  latencyMs: z.number(),
  traceId: z.string().optional(),
  /** The output is the request class's configured static reply: every arm failed (see the attempts). */
  degraded: z.boolean().optional(),
  /** `retryAfterMs` (rate_limited): how long until an arm the request may use is out of its 429 cooldown. */
  error: z.object({ kind: z.string(), message: z.string(), retryable: z.boolean(), retryAfterMs: z.number().optional() }).optional(),
  /** Opaque id of the response cache entry holding this answer; bad feedback on the answer drops the entry. */
  cacheKey: z.string().optional(),
  /** `live`: an arm answered now (or the cache did, see `servedFrom`); `batch`: the provider's batch API answered (see `batch`). */
  servedVia: z.enum(['live', 'batch']).optional(),
  /** The provider batch that answered (`servedVia: batch`) and how long the request waited from receipt to answer, ms. */
  batch: z.object({ id: z.string(), waitMs: z.number() }).optional(),
  /** `cache`: the output is a cached answer (see `cache`); absent: an arm answered now. */
  servedFrom: z.literal('cache').optional(),
  /**
   * Which cached answer: `exact` (same conversation and params) or `semantic` (a similar last
   * question, `similarity` = cosine), how old it is, the arm that first gave it, and `lastResort`
   * when every arm failed just now (the attempts say how). `entryKey` and `firstRequestId` name the
   * entry served and the request whose answer it is, so a bad hit can be audited (and forgotten).
   */
  cache: z
    .object({
      kind: z.enum(['exact', 'semantic']),
      similarity: z.number(),
      ageMs: z.number(),
      lastResort: z.boolean(),
      arm: z.string(),
      model: z.string(),
      entryKey: z.string(),
      firstRequestId: z.string(),
    })
    .optional(),
  /**
   * The conversation fitted no eligible arm's context window and the router reduced it (the
   * class's `reduction`): `trim` dropped the oldest turns, `summarize` replaced them with a summary
   * by `summary.arm` (its cost is in `usage.costUsd`; `summary.error` when it failed and the turns
   * were only trimmed). Token counts are the router's conservative estimate (≈ 4 characters a token).
   */
  reduced: z
    .object({
      method: z.enum(['trim', 'summarize']),
      fromTokens: z.number(),
      toTokens: z.number(),
      droppedTurns: z.number(),
      summary: z.object({ arm: z.string(), costUsd: z.number(), error: z.string().optional() }).optional(),
    })
    .optional(),
});

export type ResponseV1 = z.infer<typeof responseV1Schema>;
export type AttemptV1 = z.infer<typeof attemptSchema>;
