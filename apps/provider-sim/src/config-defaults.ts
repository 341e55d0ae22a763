// Built-in defaults: used when no SIM_CONFIG file is given. config/sim/default.yaml mirrors these
// (a spec keeps the two in sync).
import type { ApiKind, Faults, SimConfigInput } from './config-schema';

export const DEFAULT_SEED = 42;
export const DEFAULT_CALL_LOG_CAPACITY = 200_000;
export const DEFAULT_CONTEXT_WINDOW = 128_000;
export const DEFAULT_OUTPUT_TOKENS = 120;
export const DEFAULT_LATENCY = { medianMs: 500, p95Ms: 1500, multiplier: 1, tokenIntervalMs: 0 };

export function defaultFaults(api: ApiKind): Faults {
  return {
    rateLimit: false,
    rate429: 0,
    retryAfterS: 1,
    error5xx: 0,
    error5xxStatuses: api === 'anthropic' ? [500, 529] : [500, 502, 503],
    connectionReset: 0,
    hang: 0,
    contentPolicy: 0,
    contentPolicyMode: 'finish',
    truncate: 0,
    authError: 0,
    invalidJson: 0,
    outage: false,
    streamCut: false,
  };
}

export const DEFAULT_CONFIG: SimConfigInput = {
  seed: DEFAULT_SEED,
  models: [
    { name: 'gpt-4o', api: 'openai', contextWindow: 128_000, maxOutputTokens: 16_384, outputTokens: 150,
      latency: { medianMs: 900, p95Ms: 2500 } },
    { name: 'gpt-4o-mini', api: 'openai', contextWindow: 128_000, maxOutputTokens: 16_384, outputTokens: 150,
      latency: { medianMs: 550, p95Ms: 1500 } },
    { name: 'claude-sonnet-4-6', api: 'anthropic', contextWindow: 200_000, maxOutputTokens: 64_000, outputTokens: 180,
      latency: { medianMs: 1400, p95Ms: 3600 } },
    { name: 'claude-haiku-4-5', api: 'anthropic', contextWindow: 200_000, maxOutputTokens: 64_000, outputTokens: 150,
      latency: { medianMs: 700, p95Ms: 1900 } },
    { name: 'llama-3.1-8b', api: 'openai', contextWindow: 8_192, maxOutputTokens: 4_096, outputTokens: 120,
      latency: { medianMs: 250, p95Ms: 700 } },
  ],
  phases: [],
};
