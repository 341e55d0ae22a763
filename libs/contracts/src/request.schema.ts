import { z } from 'zod';

export const OBJECTIVES = ['balanced', 'cheapest', 'fastest', 'quality'] as const;

/** `routing.batch`: `never` (live only), `allow` (batch when its expected net value beats live), `prefer` (batch whenever the deadline leaves room). */
export const BATCH_MODES = ['never', 'allow', 'prefer'] as const;
export type BatchMode = (typeof BATCH_MODES)[number];

export const toolCallSchema = z.strictObject({ id: z.string().min(1).max(256), name: z.string().min(1).max(128), arguments: z.string().max(1_000_000) });

export const chatMessageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: z.string(),
    /** An assistant turn that called tools. */
    toolCalls: z.array(toolCallSchema).min(1).max(128).optional(),
    /** A `tool` turn: the id of the call it answers. */
    toolCallId: z.string().min(1).max(256).optional(),
  })
  .refine((m) => m.role !== 'tool' || m.toolCallId !== undefined, { message: 'a tool message needs toolCallId', path: ['toolCallId'] })
  .refine((m) => m.toolCalls === undefined || m.role === 'assistant', { message: 'only an assistant message carries toolCalls', path: ['toolCalls'] });

/** A function the model may call: OpenAI's function tool (`parameters` is a JSON Schema). */
export const toolSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a function name: 1-64 characters of a-z, A-Z, 0-9, "_", "-"'),
  description: z.string().max(4_096).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

export const toolChoiceSchema = z.union([z.enum(['auto', 'none', 'required']), z.strictObject({ name: z.string().min(1).max(64) })]);

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
    /** Nucleus sampling (OpenAI `top_p`, Anthropic `top_p`). */
    topP: z.number().min(0).max(1).optional(),
    stop: z.array(z.string().min(1)).max(16).optional(),
    responseFormat: responseFormatSchema.optional(),
    /** Functions the model may call; the answer may then be calls (output.toolCalls) instead of text. */
    tools: z.array(toolSpecSchema).min(1).max(128).optional(),
    toolChoice: toolChoiceSchema.optional(),
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
    /**
     * The answer's deadline as an absolute time (RFC 3339 with an offset, e.g. `2026-12-08T06:00:00Z`),
     * instead of `deadlineMs`: a batch-tolerant request may wait hours (docs/batch.md).
     */
    deadlineAt: z.iso.datetime({ offset: true }).optional(),
    /** May the provider's batch API answer (about half the price, minutes to hours)? Default: the class's, else never. */
    batch: z.enum(BATCH_MODES).optional(),
  })
  .strict()
  .refine((r) => r.deadlineMs === undefined || r.deadlineAt === undefined, { message: 'give deadlineMs or deadlineAt, not both', path: ['deadlineAt'] });

/** Request v1 (docs/architecture.md "Contracts and topics"). Unknown top-level fields are refused so typos don't pass silently. */
export const requestV1Schema = z
  .object({
    schemaVersion: z.literal(1),
    id: z.string().min(1).max(128),
    tenant: z.string().min(1).max(128),
    class: z.string().min(1).max(64).default('default'),
    messages: z.array(chatMessageSchema).min(1),
    params: requestParamsSchema.default({}),
    routing: routingOptionsSchema.default({ objective: 'balanced' }),
    /** Publish the answer's pieces as stream chunk v1 records on the stream topic as they arrive (the response follows as usual). */
    stream: z.boolean().optional(),
    replyTopic: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name: 1-249 characters of a-z, A-Z, 0-9, ".", "_", "-"').optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type RequestV1 = z.infer<typeof requestV1Schema>;
/** What a producer writes: defaults may be omitted. */
export type RequestV1Input = z.input<typeof requestV1Schema>;
