import { z } from 'zod';
import { describeIssues } from '@switchyard/contracts';
import { stateEnvShape } from '../state/create-state-stores';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Every environment variable the router reads, with its default. Parsed once at boot; an invalid
 * value stops the process with a message naming the variable (no crash loop on bad config).
 */
export const envSchema = z.object({
  KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().min(1).default('switchyard-router'),
  KAFKA_GROUP_ID: z.string().min(1).default('switchyard-router'),
  KAFKA_SESSION_TIMEOUT_MS: int(30_000, 6_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: int(3_000, 100),
  TOPIC_REQUESTS: z.string().min(1).default('llm.requests'),
  TOPIC_RESPONSES: z.string().min(1).default('llm.responses'),
  TOPIC_DLQ: z.string().min(1).default('llm.requests.dlq'),
  TOPIC_ESCALATIONS: z.string().min(1).default('llm.escalations'),
  TOPIC_OUTCOMES: z.string().min(1).default('switchyard.outcomes'),
  KAFKA_MAX_WAIT_MS: int(100, 1),
  KAFKA_MAX_BYTES_PER_PARTITION: int(262_144, 1_024),
  KAFKA_CREATE_TOPICS: bool(true),
  KAFKA_TOPIC_PARTITIONS: int(6, 1),
  OUTCOMES_BROADCAST: bool(true),
  OUTCOMES_REPLAY_MS: int(600_000, 0),
  ROUTER_MAX_IN_FLIGHT: int(256, 1),
  ROUTER_PARTITION_WINDOW: int(0, 0),
  ROUTER_PARTITIONS_CONCURRENCY: int(32, 1),
  ROUTER_DRAIN_TIMEOUT_MS: int(30_000, 0),
  ROUTER_COMMIT_INTERVAL_MS: int(200, 10),
  ROUTER_DEFAULT_DEADLINE_MS: int(30_000, 100),
  ROUTER_MAX_MESSAGE_BYTES: int(1_048_576, 1_024),
  ROUTER_MAX_MESSAGES: int(256, 1),
  ROUTER_MAX_CONTENT_CHARS: int(400_000, 1),
  ROUTING_TABLE: z.string().min(1).default('config/routing.yaml'),
  ...stateEnvShape,
  IDEMPOTENCY_WARM_FROM_RESPONSES: bool(true),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: int(8080, 0),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

export type RouterEnv = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Readonly<RouterEnv> {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) throw new ConfigError(`Invalid environment variables: ${describeIssues(parsed.error)}`);
  const env = parsed.data;
  if (env.ROUTER_PARTITION_WINDOW === 0) env.ROUTER_PARTITION_WINDOW = env.ROUTER_MAX_IN_FLIGHT;
  if (env.KAFKA_HEARTBEAT_INTERVAL_MS * 3 > env.KAFKA_SESSION_TIMEOUT_MS) {
    throw new ConfigError('Invalid environment variables: KAFKA_HEARTBEAT_INTERVAL_MS must be at most a third of KAFKA_SESSION_TIMEOUT_MS');
  }
  return Object.freeze(env);
}

export function brokerList(env: RouterEnv): string[] {
  return env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
}
