// Scenario format for the policy simulator (documented in bench/README.md). YAML in, validated with
// zod; every error names the field path, e.g. `arms.0.latency.p95Ms: p95Ms must be ≥ medianMs`.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/** Durations: a number of seconds, or a string with a unit: "250ms", "30s", "5m", "1h". */
const duration = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h)$/, 'duration like "250ms", "30s", "5m" or "1h"')]).transform((v) => toMs(v));

function toMs(v: number | string): number {
  if (typeof v === 'number') return v * 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(v)!;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
}

const probability = z.number().min(0).max(1);

const latency = z
  .object({
    medianMs: z.number().positive(),
    p95Ms: z.number().positive(),
    /** A heavy tail: this share of ok calls takes `multiplier` × as long (GC pauses, cold starts, queueing). */
    tail: z.object({ share: probability, multiplier: z.number().min(1) }).strict().optional(),
  })
  .strict()
  .refine((l) => l.p95Ms >= l.medianMs, { message: 'p95Ms must be ≥ medianMs', path: ['p95Ms'] });

const rateLimit = z
  .object({
    /** Token bucket refill rate (requests per second). */
    rps: z.number().positive(),
    /** Bucket size (default: rps, i.e. one second of burst). */
    burst: z.number().positive().optional(),
    /** Retry-After sent with a 429; default: time until the next token. */
    retryAfterMs: z.number().nonnegative().optional(),
  })
  .strict();

const arm = z
  .object({
    id: z.string().min(1),
    provider: z.string().min(1),
    model: z.string().optional(),
    price: z.object({ inputPer1M: z.number().nonnegative(), outputPer1M: z.number().nonnegative() }).strict(),
    contextWindow: z.number().int().positive().default(128_000),
    maxOutputTokens: z.number().int().positive().default(4_096),
    policyGroup: z.string().default('default'),
    latency,
    /** Latency of a failed call (5xx, 429, content block). */
    errorLatencyMs: z.number().nonnegative().default(150),
    failureRate: probability.default(0),
    rateLimit: rateLimit.optional(),
    contentPolicyRate: probability.default(0),
    /** P(a blocked prompt is still blocked after the router's rewrite). */
    contentPolicyAfterRewrite: probability.default(0.3),
    /** P(answer acceptable | ok and it passed the answer checks). Seen by the router only through feedback. */
    quality: probability.default(0.9),
    /** Per request class, instead of `quality`. */
    qualityByClass: z.record(z.string(), probability).default({}),
    /** P(an ok answer fails a deterministic answer check: empty, cut, refusal, invalid JSON). Seen on every answer. */
    checkFailureRate: probability.default(0),
    timeoutMs: z.number().positive().default(30_000),
  })
  .strict();

const target = { arm: z.string().optional(), provider: z.string().optional() };
const window = { start: duration, end: duration };
const needsTarget = (e: { arm?: string; provider?: string }) => (e.arm === undefined) !== (e.provider === undefined);
const targetMsg = { message: 'give exactly one of arm or provider', path: ['arm'] };
const ordered = (e: { start: number; end: number }) => e.end > e.start;
const orderMsg = { message: 'end must be after start', path: ['end'] };

const event = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('outage'), ...target, ...window, mode: z.enum(['error', 'timeout']).default('error') })
    .strict()
    .refine(needsTarget, targetMsg)
    .refine(ordered, orderMsg),
  z
    .object({
      type: z.literal('outage-process'),
      ...target,
      /** Mean time between failures / to repair (exponential up and down times). */
      mtbf: duration,
      mttr: duration,
      start: duration.default(0),
      mode: z.enum(['error', 'timeout']).default('error'),
    })
    .strict()
    .refine(needsTarget, targetMsg),
  z
    .object({ type: z.literal('latency-spike'), ...target, ...window, multiplier: z.number().positive() })
    .strict()
    .refine(needsTarget, targetMsg)
    .refine(ordered, orderMsg),
  z
    .object({ type: z.literal('rate-limit'), ...target, ...window, rps: z.number().positive(), burst: z.number().positive().optional(), retryAfterMs: z.number().nonnegative().optional() })
    .strict()
    .refine(needsTarget, targetMsg)
    .refine(ordered, orderMsg),
  z
    .object({ type: z.literal('quality-drop'), ...target, ...window, quality: probability })
    .strict()
    .refine(needsTarget, targetMsg)
    .refine(ordered, orderMsg),
  z
    .object({ type: z.literal('failure-rate'), ...target, ...window, failureRate: probability })
    .strict()
    .refine(needsTarget, targetMsg)
    .refine(ordered, orderMsg),
  z
    .object({ type: z.literal('price-change'), ...target, at: duration, inputPer1M: z.number().nonnegative(), outputPer1M: z.number().nonnegative() })
    .strict()
    .refine(needsTarget, targetMsg),
  /**
   * The arm joins the routing table just before request `atRequest` (a reload): absent before.
   * `chainPosition`: where the static chain (and best-fixed-arm's fallbacks) gets it — `last`, as an
   * operator trials an unproven model behind the arms they trust, or `first`, when they adopt it.
   */
  z.object({ type: z.literal('arm-added'), arm: z.string(), atRequest: z.number().int().nonnegative(), chainPosition: z.enum(['first', 'last']).default('last') }).strict(),
  /** The arm leaves the routing table just before request `atRequest` (it drains). */
  z.object({ type: z.literal('arm-removed'), arm: z.string(), atRequest: z.number().int().nonnegative() }).strict(),
]);

const tokens = z
  .object({ median: z.number().positive(), p95: z.number().positive() })
  .strict()
  .refine((t) => t.p95 >= t.median, { message: 'p95 must be ≥ median', path: ['p95'] });

const requestClass = z
  .object({
    name: z.string().min(1),
    weight: z.number().positive(),
    inputTokens: tokens,
    outputTokens: tokens,
    maxTokens: z.number().int().positive().optional(),
    objective: z.enum(['balanced', 'cheapest', 'fastest', 'quality']).default('balanced'),
    sloMs: z.number().positive(),
    deadlineMs: z.number().positive().default(30_000),
    contentPolicyFallback: z.boolean().optional(),
    tenant: z.string().default('default'),
    /** What a good answer (ok, acceptable, within sloMs) is worth, USD; default: the objective's preset. */
    valueUsd: z.number().nonnegative().optional(),
    /** What a second of latency costs, USD; default: the objective's preset. */
    latencyUsdPerSecond: z.number().nonnegative().optional(),
  })
  .strict();

const capsPerWindow = z.object({ minute: z.number().positive().optional(), hour: z.number().positive().optional(), day: z.number().positive().optional() }).strict();

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    duration,
    seeds: z.number().int().positive().default(20),
    baseSeed: z.number().int().nonnegative().default(1),
    arms: z.array(arm).min(2),
    events: z.array(event).default([]),
    workload: z
      .object({
        arrival: z
          .object({
            process: z.literal('poisson'),
            ratePerSec: z.number().positive(),
            /** Piecewise-constant multipliers of ratePerSec from `at` on (a compressed day). */
            profile: z.array(z.object({ at: duration, multiplier: z.number().nonnegative() }).strict()).default([]),
          })
          .strict(),
        classes: z.array(requestClass).min(1),
      })
      .strict(),
    budget: z.object({ global: capsPerWindow.optional(), defaultTenant: capsPerWindow.optional() }).strict().optional(),
    /** Feedback on answers: for a share of ok answers, after a delay, a score (flipped with probability noise). */
    feedback: z
      .object({ share: probability.default(0), delay: duration.default(60), noise: probability.default(0) })
      .strict()
      .default({ share: 0, delay: 60_000, noise: 0 }),
    utility: z
      .object({
        /** λ_cost: weight of cost / refCost (refCost: mean expected cost over arms for the class). */
        costWeight: z.number().nonnegative().default(0.1),
        /** λ_lat: weight of latency / SLO. */
        latencyWeight: z.number().nonnegative().default(0.1),
      })
      .strict()
      .default({ costWeight: 0.1, latencyWeight: 0.1 }),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ids = new Set<string>();
    s.arms.forEach((a, i) => {
      if (ids.has(a.id)) ctx.addIssue({ code: 'custom', message: `duplicate arm id "${a.id}"`, path: ['arms', i, 'id'] });
      ids.add(a.id);
    });
    const providers = new Set(s.arms.map((a) => a.provider));
    s.events.forEach((e, i) => {
      if (e.arm !== undefined && !ids.has(e.arm)) ctx.addIssue({ code: 'custom', message: `unknown arm "${e.arm}"`, path: ['events', i, 'arm'] });
      if ('provider' in e && e.provider !== undefined && !providers.has(e.provider)) ctx.addIssue({ code: 'custom', message: `no arm has provider "${e.provider}"`, path: ['events', i, 'provider'] });
    });
    const membership = s.events.filter((e) => e.type === 'arm-added' || e.type === 'arm-removed');
    membership.forEach((e, i) => {
      if (membership.some((o, j) => j !== i && o.arm === e.arm && o.type === e.type)) ctx.addIssue({ code: 'custom', message: `at most one ${e.type} event per arm ("${e.arm}")`, path: ['events'] });
    });
    const present = s.arms.filter((a) => !membership.some((e) => e.type === 'arm-added' && e.arm === a.id));
    if (present.length === 0) ctx.addIssue({ code: 'custom', message: 'every arm is added later: at least one must be in the table from the start', path: ['events'] });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioArm = Scenario['arms'][number];
export type ScenarioEvent = Scenario['events'][number];
export type ScenarioClass = Scenario['workload']['classes'][number];
/** An arm joining or leaving the routing table at a request index. */
export type MembershipEvent = Extract<ScenarioEvent, { type: 'arm-added' | 'arm-removed' }>;

export class ScenarioError extends Error {}

/** Parses and validates a scenario; throws ScenarioError listing every `field.path: problem`. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ScenarioError(`${source}: invalid YAML: ${(err as Error).message}`);
  }
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ScenarioError(`${source}: invalid scenario\n${lines.join('\n')}`);
  }
  return result.data;
}

export function loadScenario(file: string): Scenario {
  return parseScenario(readFileSync(file, 'utf8'), file);
}
