import { z } from 'zod';
import type { ErrorKind } from '@switchyard/core';
import { BATCH_MODES } from './request.schema';

const providerKind = z.enum(['openai', 'anthropic', 'openai-compatible']);

export const providerEndpointSchema = z
  .object({
    kind: providerKind,
    /** Defaults to the provider's public API when omitted (openai-compatible requires it). */
    baseUrl: z.url().optional(),
    /** Name of the environment variable holding the API key. */
    apiKeyEnv: z.string().min(1).optional(),
    /** Path of a file holding the API key (Kubernetes/Docker secrets). */
    apiKeyFile: z.string().min(1).optional(),
    /**
     * Header(s) the key goes in: `x-api-key`, `bearer` (`Authorization: Bearer`) or `both`.
     * Default: what the provider documents (anthropic `x-api-key`, openai and compatible `bearer`).
     */
    auth: z.enum(['x-api-key', 'bearer', 'both']).optional(),
    /** Extra headers on every call; a credential among them comes from the environment (`${NAME}`) and is redacted wherever shown. */
    headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'a header name (letters, digits and !#$%&\'*+.^_`|~-)'), z.string()).optional(),
  })
  .strict()
  .refine((p) => p.kind !== 'openai-compatible' || p.baseUrl !== undefined, {
    message: 'openai-compatible providers need a baseUrl (e.g. http://127.0.0.1:8000/v1 for vLLM)',
    path: ['baseUrl'],
  });

export const armSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'arm ids use letters, digits and . _ : - (1-64 chars)'),
    provider: z.string().min(1),
    model: z.string().min(1),
    pricing: z.object({ inputPer1M: z.number().nonnegative(), outputPer1M: z.number().nonnegative() }).strict(),
    contextWindow: z.int().positive(),
    maxOutputTokens: z.int().positive(),
    classes: z.array(z.string().min(1)).default([]),
    policyGroup: z.string().min(1).default('default'),
    timeouts: z
      .object({ connectMs: z.int().positive().default(2_000), totalMs: z.int().positive().default(60_000) })
      .strict()
      .default({ connectMs: 2_000, totalMs: 60_000 }),
    rateLimit: z.object({ rpm: z.int().positive().optional(), tpm: z.int().positive().optional() }).strict().optional(),
    /** What the policy believes before any outcome (e.g. a known-good arm starts with a stronger prior). */
    priors: z
      .object({
        successAlpha: z.number().positive().optional(),
        successBeta: z.number().positive().optional(),
        latencyMedianMs: z.number().positive().optional(),
        outputTokens: z.int().positive().optional(),
        /** Expected share of acceptable answers (answer checks, feedback) before any is scored. */
        quality: z.number().gt(0).lt(1).optional(),
        /** How many scored answers the quality prior is worth (default 5). */
        qualityWeight: z.number().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Error kinds of the core taxonomy, spelled out here so the contract has no runtime dependency on
 * the core; `satisfies` below breaks the build if the two lists drift apart.
 */
const ERROR_KIND_NAMES = [
  'rate_limited',
  'server_error',
  'timeout_connect',
  'timeout_read',
  'network',
  'auth',
  'bad_request',
  'context_overflow',
  'content_policy',
  'partial',
  'budget_exceeded',
  'circuit_open',
  'deadline_exceeded',
  'no_eligible_arm',
  'check_failed',
  'quality_unavailable',
] as const satisfies readonly ErrorKind[];
type UnlistedKinds = Exclude<ErrorKind, (typeof ERROR_KIND_NAMES)[number]>;
// A core kind missing above fails this line at compile time.
const _everyKindListed: [UnlistedKinds] extends [never] ? true : { unlisted: UnlistedKinds } = true;

/** Kinds that may be retried on the same arm (the others are never worth a second identical call). */
export const RETRYABLE_KINDS = ['rate_limited', 'server_error', 'timeout_connect', 'timeout_read', 'network'] as const satisfies readonly ErrorKind[];

const errorKind = z.enum(ERROR_KIND_NAMES, { error: (issue) => `unknown error kind ${JSON.stringify(issue.input)}; known kinds: ${ERROR_KIND_NAMES.join(', ')}` });
const ms = z.int('a whole number of milliseconds').nonnegative();
const positiveMs = z.int('a whole number of milliseconds').positive();

const backoffSchema = z
  .strictObject({
    baseMs: ms,
    factor: z.number().min(1, 'factor is the growth per retry, at least 1'),
    capMs: ms,
  })
  .partial()
  .refine((b) => b.baseMs === undefined || b.capMs === undefined || b.capMs >= b.baseMs, { message: 'capMs must be at least baseMs', path: ['capMs'] });

/** Partial per kind: missing fields come from the kind's default rule (or a 1 s ×2, 30 s cap backoff). */
const kindRetrySchema = z.strictObject({
  /** Attempts on the same arm, the first included: 1 = never retry the same arm. */
  maxAttempts: z.int().min(1, 'maxAttempts counts the first attempt: 1 means no retry on the same arm').max(20),
  backoff: backoffSchema.optional(),
});

const retrySectionSchema = z
  .strictObject({
    perKind: z.record(z.string(), kindRetrySchema).optional(),
    retryAfterCapMs: ms.optional(),
  })
  .superRefine((retry, ctx) => {
    for (const kind of Object.keys(retry.perKind ?? {})) {
      if (!(RETRYABLE_KINDS as readonly string[]).includes(kind)) {
        const known = (ERROR_KIND_NAMES as readonly string[]).includes(kind);
        ctx.addIssue({
          code: 'custom',
          path: ['perKind', kind],
          message: known
            ? `${kind} is never retried on the same arm (not retryable); retryable kinds: ${RETRYABLE_KINDS.join(', ')}`
            : `unknown error kind "${kind}"; retryable kinds: ${RETRYABLE_KINDS.join(', ')}`,
        });
      }
    }
  });

const retryBudgetSectionSchema = z
  .strictObject({
    ratio: z.number().min(0, 'ratio is retries per first attempt, e.g. 0.2 for 20 %'),
    minRetriesPerSecond: z.number().min(0, 'retries allowed every second on top of the ratio, e.g. 10'),
    // Renamed in this release: a table written for the old floor per window gets told what to write.
    minRetries: z.undefined({ error: 'minRetries (a floor per window) was replaced by minRetriesPerSecond (a floor per second, default 10)' }),
    bucketMs: positiveMs,
    windowMs: positiveMs,
  })
  .partial()
  .refine((b) => b.bucketMs === undefined || b.windowMs === undefined || b.windowMs >= b.bucketMs, { message: 'windowMs must be at least bucketMs', path: ['windowMs'] });

const breakerSectionSchema = z
  .strictObject({
    windowMs: positiveMs,
    bucketMs: positiveMs,
    minimumCalls: z.int().min(1),
    failureRateThreshold: z.number().gt(0, 'failureRateThreshold is a fraction in (0, 1]').max(1, 'failureRateThreshold is a fraction in (0, 1]'),
    consecutiveFailures: z.int().min(1),
    openBaseMs: positiveMs,
    openMaxMs: positiveMs,
    halfOpenMaxProbes: z.int().min(1),
    halfOpenSuccessesToClose: z.int().min(1),
    defaultCooldownMs: ms,
    maxCooldownMs: ms,
  })
  .partial()
  .superRefine((b, ctx) => {
    if (b.bucketMs !== undefined && b.windowMs !== undefined && b.windowMs < b.bucketMs) ctx.addIssue({ code: 'custom', path: ['windowMs'], message: 'windowMs must be at least bucketMs' });
    if (b.openBaseMs !== undefined && b.openMaxMs !== undefined && b.openMaxMs < b.openBaseMs) ctx.addIssue({ code: 'custom', path: ['openMaxMs'], message: 'openMaxMs must be at least openBaseMs' });
  });

const fallbackSectionSchema = z.strictObject({
  /** Kinds after which no other arm is tried. */
  noFallbackOn: z.array(errorKind).optional(),
  contentPolicy: z
    .strictObject({
      /** Default for requests that do not set routing.contentPolicyFallback. */
      enabled: z.boolean(),
    })
    .optional(),
});

const continuationSectionSchema = z
  .strictObject({
    maxContinuations: z.int().min(0, '0 turns continuation off').max(10),
    prompt: z.string().min(1),
  })
  .partial();

const degradationSectionSchema = z
  .strictObject({
    /** Static reply text per request class, served (with `degraded: true`) when every arm failed. */
    replies: z.record(z.string().min(1), z.string().min(1, 'a degraded reply needs some text')),
    /** Failures reported as they are, never papered over with the static reply. */
    neverOn: z.array(errorKind),
  })
  .partial();

const escalationSectionSchema = z
  .strictObject({
    /** A failed (or degraded) request with at least this many failed attempts is escalated. */
    afterFailedAttempts: z.int().min(1),
    /** Request classes whose every answer is escalated for review. */
    reviewClasses: z.array(z.string().min(1)),
  })
  .partial();

const hedgeSectionSchema = z
  .strictObject({
    enabled: z.boolean(),
    classes: z.array(z.string().min(1)),
    /** Fixed hedge delay; without it the arm's P95 is used (no hedge while unknown). */
    delayMs: positiveMs,
    minDelayMs: ms,
  })
  .partial();

const stickinessSectionSchema = z
  .strictObject({
    maxConversations: z.int().min(1),
    ttlMs: positiveMs,
  })
  .partial();

/**
 * `resilience:` in the routing table: overrides over the core's DEFAULT_RESILIENCE, every section
 * and every field optional (see docs/resilience.md).
 */
export const resilienceSectionSchema = z.strictObject({
  retry: retrySectionSchema.optional(),
  retryBudget: retryBudgetSectionSchema.optional(),
  breaker: breakerSectionSchema.optional(),
  fallback: fallbackSectionSchema.optional(),
  continuation: continuationSectionSchema.optional(),
  degradation: degradationSectionSchema.optional(),
  escalation: escalationSectionSchema.optional(),
  hedge: hedgeSectionSchema.optional(),
  stickiness: stickinessSectionSchema.optional(),
});

/**
 * The routing table (YAML). Validated once at boot; any error names the field so the process can
 * refuse to start with a message a person can act on.
 */
/**
 * `classes:`: what an answer is worth per request class (the routing objective, see the README's
 * "Value and quality"). Absent fields fall back to the request objective's preset.
 */
const cacheModeSchema = z.enum(['off', 'read-write', 'fallback-only']);

/** Cache settings shared by the table-wide `cache:` section and `classes.<name>.cache`. */
const cacheSettingsShape = {
  /** off (default) | read-write (looked up before routing) | fallback-only (read only when every arm failed). */
  mode: cacheModeSchema.optional(),
  /** Oldest entry served before routing, ms (default 1 h). */
  maxAgeMs: z.int().positive().optional(),
  /** How long an entry is kept and usable as the last resort, ms (default 24 h). */
  ttlMs: z.int().positive().optional(),
  /** Serve similar questions (needs `cache.embeddings`); never for requests with tools. */
  semantic: z.boolean().optional(),
  /** Cosine similarity a semantic hit needs (default 0.85, with the guards on). */
  similarity: z.number().gt(0).max(1).optional(),
  /** Check a semantic neighbour's entities, numbers, dates, quotes, direction, person, negation and question word before serving it (default true). */
  guards: z.boolean().optional(),
  /** An arm id that judges, with a one-word prompt, whether a semantic hit asks the same as the new question before it is served (default: no judge). */
  verifyWith: z.string().min(1).optional(),
};

export const classCacheSchema = z.object(cacheSettingsShape).strict();

/** `cache:`: the response cache (README "Response cache"). */
export const cacheSectionSchema = z
  .object({
    ...cacheSettingsShape,
    /** Entries kept in memory per replica (LRU beyond it; default 10,000). */
    maxEntries: z.int().positive().optional(),
    /** Answers longer than this many characters are not cached (default 32,768). */
    maxEntryChars: z.int().positive().optional(),
    /** Where question embeddings come from: an OpenAI-compatible embeddings endpoint of a declared provider. */
    embeddings: z
      .object({
        provider: z.string().min(1),
        model: z.string().min(1),
        /** An embedding slower than this is abandoned and the lookup is a miss (default 2,000 ms). */
        timeoutMs: z.int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const reductionMethod = z.enum(['off', 'trim', 'summarize']);

/**
 * `classes.<name>.reduction`: what the router may do with a conversation that fits no eligible
 * arm's window: `off` (default: no_eligible_arm), `trim` (drop the oldest turns), or `summarize`
 * (the dropped turns condensed by the arm `summarizeWith` in at most `summaryMaxTokens`).
 */
export const classReductionSchema = z.union([
  reductionMethod,
  z.strictObject({
    method: reductionMethod,
    /** The summariser: an arm id (cheap, long window); it need not serve the class. */
    summarizeWith: z.string().min(1).optional(),
    /** Most tokens the summary may use (default 512). */
    summaryMaxTokens: z.int().positive().max(16_384).optional(),
  }),
]);

/**
 * `classes.<name>.fallbackGuard`: a check on answers not from the first-choice arm before they
 * are published: similar enough to the class's recent accepted answers, or passed by a judge arm.
 */
export const fallbackGuardSchema = z.union([
  z.strictObject({
    /** Cosine similarity to the nearest of the recent accepted answers the fallback answer needs. */
    minSimilarity: z.number().gt(0).max(1),
    /** Accepted answers of the class kept to compare with (default 20). */
    recent: z.int().min(3).max(1_000).default(20),
  }),
  z.strictObject({
    /** The judging arm's id; it need not serve the class. */
    judge: z.string().min(1),
    /** What the judge is asked about the answer; it is told to reply PASS or FAIL. */
    prompt: z.string().min(1),
  }),
]);

export const classSectionSchema = z
  .object({
    /** Context reduction for conversations no eligible window holds (default off). */
    reduction: classReductionSchema.optional(),
    /** A check on fallback answers before they are published (default none). */
    fallbackGuard: fallbackGuardSchema.optional(),
    /** Default `routing.batch` of the class's requests: never (default) | allow | prefer (docs/batch.md). */
    batch: z.enum(BATCH_MODES).optional(),
    /** The response cache for this class, over the table's `cache:`. */
    cache: classCacheSchema.optional(),
    /** What one acceptable answer within the latency SLO is worth, USD. */
    valueUsd: z.number().nonnegative().optional(),
    /** What each second of waiting costs the caller, USD. */
    latencyUsdPerSecond: z.number().nonnegative().optional(),
    /**
     * Quality floor: an arm whose P(acceptable) (lower credible bound) is below it does not serve
     * this class; with none left the request gets the class's degradation reply or quality_unavailable.
     */
    minQuality: z.number().min(0).max(1).optional(),
    /** Answer checks beyond the built-in ones (empty, cut, refusal, JSON/schema when JSON was asked for). */
    checks: z
      .object({
        refusalPatterns: z.array(z.string().min(1)).optional(),
        regex: z.string().min(1).optional(),
        /** A failed check rejects the answer and the router falls back to another arm before publishing. */
        rejectOnFailure: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const [i, pattern] of [...(c.checks?.refusalPatterns ?? []), ...(c.checks?.regex ? [c.checks.regex] : [])].entries()) {
      try {
        new RegExp(pattern);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['checks', i < (c.checks?.refusalPatterns?.length ?? 0) ? 'refusalPatterns' : 'regex'], message: `not a regular expression: ${(err as Error).message}` });
      }
    }
  });

/** How arms are chosen. `thompson` is the adaptive policy; the others are baselines for comparison. */
export const policySectionSchema = z
  .object({
    selector: z.enum(['thompson', 'static-chain', 'round-robin', 'random', 'latency-cooldown']).default('thompson'),
    /** Evidence kept per observation (γ); memory ≈ 1/(1−γ) outcomes per arm and class. */
    discount: z.number().gt(0.5).lt(1).optional(),
    /** Share of decisions that pick a random eligible arm. */
    explorationRate: z.number().min(0).max(0.5).optional(),
    /** Evidence kept per idle minute, so an arm not tried for a while is re-tried. */
    stalenessDecayPerMinute: z.number().gt(0).max(1).optional(),
    /** Priced exploration's horizon (minutes); 0 = plain Thompson sampling. Default: staleness's time constant. */
    explorationHorizonMinutes: z.number().min(0).max(10_080).optional(),
    /** Pseudo-observations a new request class inherits from the arm's global posterior. */
    classWarmStartCap: z.number().min(0).optional(),
  })
  .strict();

const capsSchema = z
  .object({ minute: z.number().positive(), hour: z.number().positive(), day: z.number().positive(), month: z.number().positive() })
  .partial()
  .strict();

/** USD caps per window (UTC), for all traffic, per tenant, and for tenants not listed. */
export const budgetsSectionSchema = z
  .object({
    global: capsSchema.optional(),
    defaultTenant: capsSchema.optional(),
    tenants: z.record(z.string().min(1), capsSchema).optional(),
  })
  .strict();

export const routingTableSchema = z
  .object({
    providers: z.record(z.string().min(1), providerEndpointSchema),
    arms: z.array(armSchema).min(1),
    resilience: resilienceSectionSchema.optional(),
    policy: policySectionSchema.default({ selector: 'thompson' }),
    budgets: budgetsSectionSchema.optional(),
    classes: z.record(z.string().min(1), classSectionSchema).default({}),
    cache: cacheSectionSchema.optional(),
  })
  .strict()
  .superRefine((table, ctx) => {
    const embeddings = table.cache?.embeddings;
    if (embeddings && !Object.hasOwn(table.providers, embeddings.provider)) {
      ctx.addIssue({ code: 'custom', path: ['cache', 'embeddings', 'provider'], message: `unknown provider "${embeddings.provider}"; declared providers: ${Object.keys(table.providers).join(', ')}` });
    } else if (embeddings && table.providers[embeddings.provider].kind === 'anthropic') {
      ctx.addIssue({ code: 'custom', path: ['cache', 'embeddings', 'provider'], message: `provider "${embeddings.provider}" is anthropic, which has no embeddings endpoint; use an openai or openai-compatible provider` });
    }
    const semanticWanted = [table.cache?.semantic, ...Object.values(table.classes).map((c) => c.cache?.semantic)].some(Boolean);
    if (semanticWanted && !embeddings) {
      ctx.addIssue({ code: 'custom', path: ['cache', 'embeddings'], message: 'semantic caching is on for the table or a class, but cache.embeddings names no embeddings endpoint' });
    }
    const armIds = new Set(table.arms.map((a) => a.id));
    const judges: Array<[PropertyKey[], string | undefined]> = [[['cache', 'verifyWith'], table.cache?.verifyWith], ...Object.entries(table.classes).map(([name, c]): [PropertyKey[], string | undefined] => [['classes', name, 'cache', 'verifyWith'], c.cache?.verifyWith])];
    for (const [path, arm] of judges) {
      if (arm !== undefined && !armIds.has(arm)) ctx.addIssue({ code: 'custom', path, message: `unknown arm "${arm}" as the cache judge; arms: ${[...armIds].join(', ')}` });
    }
    for (const [name, c] of Object.entries(table.classes)) {
      const reduction = typeof c.reduction === 'string' ? { method: c.reduction } : c.reduction;
      if (reduction?.method === 'summarize' && !reduction.summarizeWith) {
        ctx.addIssue({ code: 'custom', path: ['classes', name, 'reduction'], message: 'summarize needs the summariser: write { method: summarize, summarizeWith: <arm id> }' });
      }
      const named: Array<[string, string | undefined, string]> = [
        ['reduction', reduction && 'summarizeWith' in reduction ? reduction.summarizeWith : undefined, 'summariser'],
        ['fallbackGuard', c.fallbackGuard && 'judge' in c.fallbackGuard ? c.fallbackGuard.judge : undefined, 'fallback judge'],
      ];
      for (const [section, arm, role] of named) {
        if (arm !== undefined && !armIds.has(arm)) ctx.addIssue({ code: 'custom', path: ['classes', name, section], message: `unknown arm "${arm}" as the ${role}; arms: ${[...armIds].join(', ')}` });
      }
      if (c.fallbackGuard && 'minSimilarity' in c.fallbackGuard && !embeddings) {
        ctx.addIssue({ code: 'custom', path: ['classes', name, 'fallbackGuard'], message: 'a similarity fallback guard embeds answers with cache.embeddings, which names no embeddings endpoint' });
      }
    }
    const seen = new Set<string>();
    table.arms.forEach((arm, i) => {
      if (seen.has(arm.id)) ctx.addIssue({ code: 'custom', path: ['arms', i, 'id'], message: `duplicate arm id "${arm.id}"` });
      seen.add(arm.id);
      if (!Object.hasOwn(table.providers, arm.provider)) {
        ctx.addIssue({
          code: 'custom',
          path: ['arms', i, 'provider'],
          message: `unknown provider "${arm.provider}"; declared providers: ${Object.keys(table.providers).join(', ') || '(none)'}`,
        });
      }
      if (arm.maxOutputTokens > arm.contextWindow) {
        ctx.addIssue({ code: 'custom', path: ['arms', i, 'maxOutputTokens'], message: 'maxOutputTokens exceeds contextWindow' });
      }
    });
  });

export type RoutingTable = z.infer<typeof routingTableSchema>;
export type ProviderEndpoint = z.infer<typeof providerEndpointSchema>;
export type ArmEntry = z.infer<typeof armSchema>;
export type ResilienceSection = z.infer<typeof resilienceSectionSchema>;
export type PolicySection = z.infer<typeof policySectionSchema>;
export type BudgetsSection = z.infer<typeof budgetsSectionSchema>;
export type CacheSection = z.infer<typeof cacheSectionSchema>;
