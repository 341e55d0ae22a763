// Knobs of the simulated batch APIs: how long a batch takes (log-normal, scaled by the sim's latency
// scale like every other latency) and which failures are injected.
import { z } from 'zod';
import { sampleLatencyMs } from './latency';

const rate = z.number().min(0).max(1);

export const batchSettingsSchema = z.strictObject({
  /** Time from create to ended: log-normal with this median and P95 (ms, before the latency scale). */
  completion: z.strictObject({ medianMs: z.number().min(0), p95Ms: z.number().min(0) }).optional(),
  /** The completion window (both APIs: 24 h); a batch whose drawn time exceeds it expires. Scaled too. */
  windowMs: z.number().positive().optional(),
  /** Probability that a whole batch fails (OpenAI: status `failed`; Anthropic: every request `errored`). */
  failRate: rate.optional(),
  /** Probability that a whole batch expires (every request `expired`). */
  expireRate: rate.optional(),
  /** Per request of a batch that ends: probability of a server error instead of the answer. */
  erroredRate: rate.optional(),
  /** Per request of a batch that ends: probability that it expired unanswered. */
  expiredRate: rate.optional(),
});
export type BatchSettingsInput = z.infer<typeof batchSettingsSchema>;
export type BatchSettings = Required<BatchSettingsInput>;

const HOUR = 3_600_000;

/** "Most batches finish in less than 1 hour" (Anthropic); both APIs promise at most 24 h. */
export const DEFAULT_BATCH_SETTINGS: BatchSettings = Object.freeze({
  completion: { medianMs: 10 * 60_000, p95Ms: HOUR },
  windowMs: 24 * HOUR,
  failRate: 0,
  expireRate: 0,
  erroredRate: 0,
  expiredRate: 0,
});

export function parseBatchSettings(raw: unknown, base: BatchSettings = DEFAULT_BATCH_SETTINGS): BatchSettings {
  return { ...base, ...batchSettingsSchema.parse(raw ?? {}) };
}

/** How a batch ends, drawn when it is created. */
export type BatchFate = { kind: 'ends'; afterMs: number } | { kind: 'fails'; afterMs: number } | { kind: 'expires'; afterMs: number };

/** `u`: four independent uniforms in [0, 1). */
export function drawFate(settings: BatchSettings, scale: number, u: readonly [number, number, number, number]): BatchFate {
  const window = settings.windowMs * scale;
  const took = sampleLatencyMs({ medianMs: settings.completion.medianMs, p95Ms: settings.completion.p95Ms, multiplier: 1 }, scale, u[0], u[1]);
  if (u[2] < settings.expireRate || took > window) return { kind: 'expires', afterMs: window };
  if (u[3] < settings.failRate) return { kind: 'fails', afterMs: took };
  return { kind: 'ends', afterMs: took };
}
