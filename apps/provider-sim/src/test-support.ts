// Shared helpers for the provider-sim specs (not part of the public API).
import type { SimConfigInput } from './config-schema';

/** Instant models on both APIs (latencies are 0 unless a spec patches them). */
export function instantConfig(): SimConfigInput {
  return {
    seed: 1,
    models: [
      { name: 'gpt-4o', api: 'openai', contextWindow: 128_000, maxOutputTokens: 16_384, outputTokens: 50, latency: { medianMs: 0, p95Ms: 0 } },
      { name: 'llama-3.1-8b', api: 'openai', contextWindow: 8_192, outputTokens: 40, latency: { medianMs: 0, p95Ms: 0 } },
      // (The Anthropic SDK console.warns on every claude-sonnet-4-6 call: it is on its deprecation list.)
      { name: 'claude-haiku-4-5', api: 'anthropic', contextWindow: 200_000, maxOutputTokens: 64_000, outputTokens: 60, latency: { medianMs: 0, p95Ms: 0 } },
      { name: 'claude-sonnet-4-6', api: 'anthropic', contextWindow: 200_000, outputTokens: 30, latency: { medianMs: 0, p95Ms: 0 } },
    ],
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
