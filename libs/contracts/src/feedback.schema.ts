import { z } from 'zod';
import { describeIssues } from './decode-request';

/**
 * Feedback v1 on `llm.feedback` (key: request id): what an application learnt about an answer,
 * seconds to hours after it was given. Joined by request id to the arm and class that served it.
 */
export const feedbackV1Schema = z
  .object({
    schemaVersion: z.literal(1),
    requestId: z.string().min(1).max(128),
    /** 1 = acceptable, 0 = not; fractions for graded feedback. Give `score` or `label`. */
    score: z.number().min(0).max(1).optional(),
    label: z.enum(['good', 'bad']).optional(),
    /** What was judged (default `quality`). */
    metric: z.string().min(1).max(64).default('quality'),
    /** Who judged: `user`, `evaluator`, `judge` or any name. */
    source: z.string().min(1).max(64),
    comment: z.string().max(2_000).optional(),
  })
  .strict()
  .refine((f) => (f.score === undefined) !== (f.label === undefined), { message: 'give exactly one of score (0..1) or label (good|bad)', path: ['score'] });

export type FeedbackV1 = z.infer<typeof feedbackV1Schema>;
export type FeedbackV1Input = z.input<typeof feedbackV1Schema>;

/** The feedback's score in [0, 1] (a label is 1 or 0). */
export function feedbackScore(f: FeedbackV1): number {
  return f.score ?? (f.label === 'good' ? 1 : 0);
}

/** Largest feedback message accepted. */
const MAX_FEEDBACK_BYTES = 16_384;

export type FeedbackDecode =
  | { ok: true; feedback: FeedbackV1 }
  | { ok: false; reason: 'undecodable' | 'invalid_json' | 'schema' | 'oversize'; message: string; requestId?: string };

/** Bytes → validated feedback, or a classified reason (never throws). */
export function decodeFeedback(value: Buffer | null): FeedbackDecode {
  if (!value || value.length === 0) return { ok: false, reason: 'undecodable', message: 'empty feedback message' };
  if (value.length > MAX_FEEDBACK_BYTES) return { ok: false, reason: 'oversize', message: `feedback is ${value.length} bytes; the limit is ${MAX_FEEDBACK_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', message: `feedback is not JSON: ${(err as Error).message}` };
  }
  const parsed = feedbackV1Schema.safeParse(json);
  if (!parsed.success) {
    const id = (json as { requestId?: unknown } | null)?.requestId;
    return { ok: false, reason: 'schema', message: describeIssues(parsed.error), requestId: typeof id === 'string' ? id : undefined };
  }
  return { ok: true, feedback: parsed.data };
}
