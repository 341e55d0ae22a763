import { z } from 'zod';

export const OBJECTIVES = ['balanced', 'cheapest', 'fastest', 'quality'] as const;

export const chatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

/** OpenAI's `response_format`: JSON answers, optionally conforming to a JSON Schema (checked on every answer). */
export const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).strict(),
  z.object({ type: z.literal('json_object') }).strict(),
  z.object({ type: z.literal('json_schema'), name: z.string().min(1).max(64).optional(), schema: z.record(z.string(), z.unknown()) }).strict(),
]);

export const requestParamsSchema = z
  .object({
    maxTokens: z.int().positive().max(1_000_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
    stop: z.array(z.string().min(1)).max(16).optional(),
    responseFormat: responseFormatSchema.optional(),
  })
  .strict();

/** `routing.cache`: this request's cache use (each field narrows or overrides its class's). */
export const requestCacheSchema = z
  .object({
    mode: z.enum(['off', 'read-write', 'fallback-only']).optional(),
    /** Oldest cached answer accepted before routing, ms (the last resort accepts any live entry). */
    maxAgeMs: z.int().nonnegative().optional(),
    /** false: no similar-question match for this request. */
    semantic: z.boolean().optional(),
  })
  .strict();

export const routingOptionsSchema = z
  .object({
    models: z.array(z.string().min(1)).min(1).optional(),
    objective: z.enum(OBJECTIVES).default('balanced'),
    latencySloMs: z.int().positive().optional(),
    maxCostUsd: z.number().positive().optional(),
    deadlineMs: z.int().positive().max(600_000).optional(),
    conversationId: z.string().min(1).max(256).optional(),
    hedge: z.boolean().optional(),
    contentPolicyFallback: z.boolean().optional(),
    /** What an acceptable answer within the SLO is worth to the caller, USD (overrides the class's). */
    valueUsd: z.number().nonnegative().max(1_000_000).optional(),
    /** What each second of waiting costs the caller, USD (overrides the class's). */
    latencyUsdPerSecond: z.number().nonnegative().max(1_000_000).optional(),
    cache: requestCacheSchema.optional(),
  })
  .strict();

/** Request v1 (DESIGN.md). Unknown top-level fields are refused so typos don't pass silently. */
export const requestV1Schema = z
  .object({
    schemaVersion: z.literal(1),
    id: z.string().min(1).max(128),
    tenant: z.string().min(1).max(128),
    class: z.string().min(1).max(64).default('default'),
    messages: z.array(chatMessageSchema).min(1),
    params: requestParamsSchema.default({}),
    routing: routingOptionsSchema.default({ objective: 'balanced' }),
    replyTopic: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name: 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"').optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type RequestV1 = z.infer<typeof requestV1Schema>;
/** What a producer writes: defaults may be omitted. */
export type RequestV1Input = z.input<typeof requestV1Schema>;
