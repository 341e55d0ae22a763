import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '@switchyard/contracts';
import { stateEnvShape } from './state-env';
import { batchEnvShape } from '../batch/batch-env';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
/** host:port with a port in 1-65535; the host is a name, an IPv4 address or a bracketed IPv6 address. */
const BROKER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):([1-9]\d{0,4})$/;
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
  KAFKA_BROKERS: z
    .string()
    .min(1)
    .default('127.0.0.1:9092')
    .refine((v) => v.split(',').every((b) => BROKER.test(b.trim())), 'must be a comma-separated list of host:port (port 1-65535), e.g. 127.0.0.1:9092,kafka-2:9092'),
  KAFKA_CLIENT_ID: z.string().min(1).default('switchyard-router'),
  KAFKA_GROUP_ID: z.string().min(1).default('switchyard-router'),
  /**
   * How long the group waits for a silent member before its partitions move: the gap a kill -9 (or
   * OOM) opens on that replica's partitions. Below the broker's group.min.session.timeout.ms (6 s by
   * default) the broker refuses the join.
   */
  KAFKA_SESSION_TIMEOUT_MS: int(10_000, 1_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: int(1_000, 100),
  KAFKA_SASL_MECHANISM: z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']).default('none'),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().optional(),
  KAFKA_SSL: bool(false),
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SSL_CERT_FILE: z.string().optional(),
  KAFKA_SSL_KEY_FILE: z.string().optional(),
  KAFKA_SSL_REJECT_UNAUTHORIZED: bool(true),
  KAFKA_ALLOW_PLAINTEXT_SASL: bool(false),
  KAFKA_ALLOW_INSECURE_TLS: bool(false),
  TOPIC_REQUESTS: z.string().min(1).default('llm.requests'),
  TOPIC_RESPONSES: z.string().min(1).default('llm.responses'),
  TOPIC_DLQ: z.string().min(1).default('llm.requests.dlq'),
  TOPIC_ESCALATIONS: z.string().min(1).default('llm.escalations'),
  TOPIC_OUTCOMES: z.string().min(1).default('switchyard.outcomes'),
  TOPIC_FEEDBACK: z.string().min(1).default('llm.feedback'),
  /** Stream chunks of requests with `stream: true`. */
  TOPIC_STREAM: z.string().min(1).default('llm.responses.stream'),
  /** Fallback answers copied for review (with FALLBACK_REVIEW_ENABLED). */
  TOPIC_FALLBACKS: z.string().min(1).default('llm.fallbacks'),
  /** Copy every answer not from the first-choice arm to TOPIC_FALLBACKS for a person to review. */
  FALLBACK_REVIEW_ENABLED: bool(false),
  /** Learn answer quality from feedback on TOPIC_FEEDBACK. */
  FEEDBACK_ENABLED: bool(true),
  KAFKA_MAX_WAIT_MS: int(100, 1),
  /** Request fetches wait (up to KAFKA_MAX_WAIT_MS) until this many bytes are there: fewer, fuller fetches. */
  KAFKA_MIN_BYTES: int(1, 1),
  KAFKA_MAX_BYTES_PER_PARTITION: int(262_144, 1_024),
  KAFKA_CREATE_TOPICS: bool(true),
  KAFKA_TOPIC_PARTITIONS: int(6, 1),
  OUTCOMES_BROADCAST: bool(true),
  OUTCOMES_REPLAY_MS: int(600_000, 0),
  ROUTER_MAX_IN_FLIGHT: int(256, 1),
  ROUTER_PARTITION_WINDOW: int(0, 0),
  ROUTER_PARTITIONS_CONCURRENCY: int(32, 1),
  ROUTER_DRAIN_TIMEOUT_MS: int(30_000, 0),
  /** How long start-up waits for an unreachable broker or state store before exiting with code 69. */
  ROUTER_STARTUP_WAIT_MS: int(60_000, 1_000),
  /** Tries of a request the router keeps failing on (not a broker or Redis outage) before it goes to the DLQ as `internal`. */
  ROUTER_HANDLER_MAX_TRIES: int(3, 1),
  ROUTER_COMMIT_INTERVAL_MS: int(200, 10),
  /** The first response of a produce batch waits this long for others when nothing is in flight (0: end of the tick). */
  ROUTER_PUBLISH_LINGER_MS: int(0, 0),
  ROUTER_DEFAULT_DEADLINE_MS: int(30_000, 100),
  /** An attempt running past this many times the arm's recent P99 counts against the arm at once (0: off). */
  ROUTER_HUNG_AFTER_P99: z.coerce.number().min(0).max(100).default(1.5),
  ROUTER_MAX_MESSAGE_BYTES: int(1_048_576, 1_024),
  ROUTER_MAX_MESSAGES: int(256, 1),
  /** 0: follow the routing table's largest context window (characters ≈ 4 × tokens). */
  ROUTER_MAX_CONTENT_CHARS: int(0, 0),
  /** Deepest nesting of objects and arrays in a request (JSON Schemas, tool parameters); deeper is refused (`limits`). */
  ROUTER_MAX_JSON_DEPTH: int(64, 8),
  /** A partition whose oldest unfinished request is older than this is reported stuck (health, metrics). */
  ROUTER_STUCK_AFTER_MS: int(120_000, 1_000),
  /** Largest record the router writes; 0: read each output topic's max.message.bytes from the broker. */
  KAFKA_MAX_RECORD_BYTES: int(0, 0),
  /** A request's replyTopic that does not exist is created (true) or refused with a failure response (false). */
  REPLY_TOPIC_CREATE: bool(true),
  ROUTING_TABLE: z.string().min(1).default('config/routing.yaml'),
  /** Reload the routing table when its file changes (SIGHUP reloads it either way). */
  ROUTING_TABLE_WATCH: bool(true),
  /** Quiet time after the last change event before the file is read (writes come in several steps). */
  ROUTING_TABLE_WATCH_DEBOUNCE_MS: int(500, 0),
  /** Bearer token of the admin endpoints (POST /admin/routing-table/reload); unset: they answer 404. */
  ROUTER_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters (a long random string, e.g. openssl rand -hex 24)').optional(),
  ...stateEnvShape,
  ...batchEnvShape,
  IDEMPOTENCY_WARM_FROM_RESPONSES: bool(true),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65_535, 'must be a TCP port, 0-65535 (0 picks a free port)').default(8080),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /** Front door keys: comma-separated `tenant:sha256hex` (the SHA-256 of each key, never the key). */
  FRONTDOOR_API_KEYS: z.string().optional(),
  /** Front door keys from a YAML/JSON file `{ keys: [{ tenant, sha256, name? }] }`. */
  FRONTDOOR_API_KEYS_FILE: z.string().optional(),
  /** With no keys configured: serve /v1 without authentication, only on a loopback HTTP_HOST. */
  FRONTDOOR_ALLOW_UNAUTHENTICATED: bool(false),
  /** The tenant of unauthenticated front-door requests that name none. */
  FRONTDOOR_DEFAULT_TENANT: z.string().min(1).max(128).default('default'),
  /** A started stream silent this long is stalled: the answer continues on another arm. */
  ROUTER_STREAM_STALL_MS: int(10_000, 100),
  /**
   * Record prompts and outputs in spans. Only `true` (any case, spaces around allowed) turns it on;
   * any other value leaves it off, as before it joined this schema.
   */
  SWITCHYARD_TRACE_CONTENT: z
    .string()
    .optional()
    .transform((v) => v?.trim().toLowerCase() === 'true'),
});

/** The variables as validated by envSchema. */
export type EnvSettings = z.infer<typeof envSchema>;

/** The router's environment, parsed once at boot (parseEnv). */
export type RouterEnv = EnvSettings & {
  /** The Kafka SASL/TLS options, with the password and certificate files read once, by parseEnv. */
  readonly kafkaSecurity: KafkaSecurity;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Readonly<RouterEnv> {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) throw new ConfigError(`Invalid environment variables: ${describeIssues(parsed.error)}`);
  const env: EnvSettings = parsed.data;
  if (env.ROUTER_PARTITION_WINDOW === 0) env.ROUTER_PARTITION_WINDOW = env.ROUTER_MAX_IN_FLIGHT;
  const badPort = brokerList(env).find((b) => Number(BROKER.exec(b)?.[2]) > 65_535);
  if (badPort) throw new ConfigError(`Invalid environment variables: KAFKA_BROKERS: ${badPort} has a port above 65535`);
  if (env.KAFKA_HEARTBEAT_INTERVAL_MS * 3 > env.KAFKA_SESSION_TIMEOUT_MS) {
    throw new ConfigError('Invalid environment variables: KAFKA_HEARTBEAT_INTERVAL_MS must be at most a third of KAFKA_SESSION_TIMEOUT_MS');
  }
  // Refuses unsafe or incomplete SASL/TLS settings before anything connects; the secret files are
  // read here only, and the Kafka client is built from what this returns.
  return Object.freeze({ ...env, kafkaSecurity: kafkaSecurity(env) });
}

/** kafkajs `sasl` and `ssl` options, resolved from the environment (files read here). */
export interface KafkaSecurity {
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  ssl?: boolean | { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
}

function readSecretFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    // The path is not a secret; the file's content would be, and is never part of the message.
    throw new ConfigError(`Invalid environment variables: ${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

const bad = (message: string) => new ConfigError(`Invalid environment variables: ${message}`);

/**
 * Validates the Kafka SASL/TLS settings and resolves them into kafkajs options: reads the password
 * file and the CA/cert/key files. Refuses unsafe combinations unless explicitly allowed. Messages
 * name variables and paths, never a password.
 */
export function kafkaSecurity(env: EnvSettings): KafkaSecurity {
  const security: KafkaSecurity = {};
  const tlsFiles = [env.KAFKA_SSL_CA_FILE, env.KAFKA_SSL_CERT_FILE, env.KAFKA_SSL_KEY_FILE].some((f) => f !== undefined && f !== '');
  if (!env.KAFKA_SSL && tlsFiles) {
    throw bad('KAFKA_SSL_CA_FILE / KAFKA_SSL_CERT_FILE / KAFKA_SSL_KEY_FILE are set but KAFKA_SSL is not true (set KAFKA_SSL=true, or unset them)');
  }
  if (env.KAFKA_SSL) {
    if (!env.KAFKA_SSL_REJECT_UNAUTHORIZED && !env.KAFKA_ALLOW_INSECURE_TLS) {
      throw bad(
        'KAFKA_SSL_REJECT_UNAUTHORIZED=false turns off verification of the broker certificate, so anyone on the path can impersonate the broker ' +
          'and read every request, response and SASL credential; set KAFKA_SSL_CA_FILE to trust a private CA instead, or KAFKA_ALLOW_INSECURE_TLS=true to accept the risk',
      );
    }
    if (Boolean(env.KAFKA_SSL_CERT_FILE) !== Boolean(env.KAFKA_SSL_KEY_FILE)) {
      throw bad('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (a client certificate needs its private key)');
    }
    const ca = env.KAFKA_SSL_CA_FILE ? readSecretFile('KAFKA_SSL_CA_FILE', env.KAFKA_SSL_CA_FILE) : undefined;
    const cert = env.KAFKA_SSL_CERT_FILE ? readSecretFile('KAFKA_SSL_CERT_FILE', env.KAFKA_SSL_CERT_FILE) : undefined;
    const key = env.KAFKA_SSL_KEY_FILE ? readSecretFile('KAFKA_SSL_KEY_FILE', env.KAFKA_SSL_KEY_FILE) : undefined;
    security.ssl = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized: env.KAFKA_SSL_REJECT_UNAUTHORIZED };
  } else if (!env.KAFKA_SSL_REJECT_UNAUTHORIZED) {
    throw bad('KAFKA_SSL_REJECT_UNAUTHORIZED is set but KAFKA_SSL is not true');
  }

  const credentialsGiven = Boolean(env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD || env.KAFKA_SASL_PASSWORD_FILE);
  if (env.KAFKA_SASL_MECHANISM === 'none') {
    if (credentialsGiven) throw bad('KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD(_FILE) are set but KAFKA_SASL_MECHANISM is none (set plain, scram-sha-256 or scram-sha-512)');
    return security;
  }
  const mechanism = env.KAFKA_SASL_MECHANISM;
  if (!env.KAFKA_SASL_USERNAME) throw bad(`KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM=${mechanism}`);
  if (env.KAFKA_SASL_PASSWORD && env.KAFKA_SASL_PASSWORD_FILE) {
    throw bad('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set; give the password one way only');
  }
  let password = env.KAFKA_SASL_PASSWORD;
  if (env.KAFKA_SASL_PASSWORD_FILE) password = readSecretFile('KAFKA_SASL_PASSWORD_FILE', env.KAFKA_SASL_PASSWORD_FILE).replace(/\r?\n$/, '');
  if (!password) {
    throw bad(`KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE (a non-empty password) is required when KAFKA_SASL_MECHANISM=${mechanism}`);
  }
  if (mechanism === 'plain' && !env.KAFKA_SSL && !env.KAFKA_ALLOW_PLAINTEXT_SASL) {
    throw bad(
      'KAFKA_SASL_MECHANISM=plain without KAFKA_SSL=true sends the password in clear text on every connection, readable by anyone on the network path; ' +
        'set KAFKA_SSL=true (SASL_SSL), or KAFKA_ALLOW_PLAINTEXT_SASL=true for a trusted network (e.g. loopback) only',
    );
  }
  security.sasl = { mechanism, username: env.KAFKA_SASL_USERNAME, password };
  return security;
}

export function brokerList(env: Pick<EnvSettings, 'KAFKA_BROKERS'>): string[] {
  return env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
}
