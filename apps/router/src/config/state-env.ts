import { z } from 'zod';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/**
 * The environment variables of the state backend (docs/architecture.md "State"), with their
 * defaults. Spread into the router's envSchema (`...stateEnvShape`) to validate them at boot with
 * the rest; createStateStores reads them from the same shape.
 */
export const stateEnvShape = {
  /** memory: one instance, nothing shared (default). redis: budgets and answers shared by every replica. */
  STATE_BACKEND: z.enum(['memory', 'redis']).default('memory'),
  REDIS_URL: z.string().min(1).default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key; keep one {hash tag} so every key lands in one cluster slot. */
  REDIS_KEY_PREFIX: z.string().min(1).default('{switchyard}:'),
  /** A Redis command not answered within this fails (a budget reservation then refuses). */
  REDIS_COMMAND_TIMEOUT_MS: int(1_000, 10),
  /** A budget hold not settled within this (a crashed replica's) stops counting. */
  BUDGET_RESERVATION_TTL_MS: int(600_000, 1_000),
  IDEMPOTENCY_TTL_MS: int(86_400_000, 1_000),
  IDEMPOTENCY_MAX_ENTRIES: int(200_000, 100),
};
export const stateEnvSchema = z.object(stateEnvShape);
export type StateEnv = z.infer<typeof stateEnvSchema>;
