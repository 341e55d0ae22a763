import { z } from 'zod';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/**
 * The batch path's environment variables (docs/batch.md "Settings"), spread into the router's
 * envSchema. Off by default: no ledger, no poller, and no batch work for any request.
 */
export const batchEnvShape = {
  /** Route requests whose `routing.batch` (or class default) allows it to the providers' batch APIs. */
  BATCH_ENABLED: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default('false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  /** Compacted topic: one record per submitted batch (its requests, rescue times, settlements). */
  TOPIC_BATCH_LEDGER: z.string().min(1).default('switchyard.batches'),
  /** Compacted topic: the batched requests themselves, keyed by request id (a replica resumes from it). */
  TOPIC_BATCH_REQUESTS: z.string().min(1).default('switchyard.batch-requests'),
  /** A collector submits once it holds this many requests (bounded by the provider's own limit). */
  BATCH_MAX_REQUESTS: int(1_000, 1),
  /** ...or once its oldest request has waited this long, ms. The request's offset is committed after the submission. */
  BATCH_MAX_AGE_MS: int(5_000, 10),
  /** How often open batches are polled, ms. */
  BATCH_POLL_INTERVAL_MS: int(30_000, 100),
  /** How long before its deadline a request still in a batch is answered live instead, ms (the live rescue's budget). */
  BATCH_LIVE_BUDGET_MS: int(120_000, 0),
  /** Batch price as a share of the live price (OpenAI and Anthropic: 0.5). */
  BATCH_PRICE_FACTOR: z.coerce.number().gt(0).max(1).default(0.5),
  /** Completion-time prior (log-normal median and P95, ms) until an arm's batches are learnt; 0: the documented 24 h bound. */
  BATCH_COMPLETION_MEDIAN_MS: int(0, 0),
  BATCH_COMPLETION_P95_MS: int(0, 0),
};

export type BatchEnv = z.infer<z.ZodObject<typeof batchEnvShape>>;
