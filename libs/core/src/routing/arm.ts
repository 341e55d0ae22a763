export type ProviderKind = 'openai' | 'anthropic' | 'openai-compatible';

/** One routable choice: a provider × model, with what the router needs to know about it. */
export interface ArmConfig {
  /** Stable id used in decisions, metrics and responses, e.g. `openai-gpt-4o`. */
  id: string;
  /** Name of the configured provider endpoint this arm calls. */
  provider: string;
  providerKind: ProviderKind;
  model: string;
  /** USD per 1M tokens. */
  pricing: { inputPer1M: number; outputPer1M: number };
  contextWindow: number;
  maxOutputTokens: number;
  /** Request classes this arm suits; empty means every class. */
  classes: string[];
  /** Content-policy fallback stays inside one group (governance). */
  policyGroup: string;
  timeouts: { connectMs: number; totalMs: number };
  /** Optional client-side rate limits, so predictable 429s are avoided. */
  rateLimit?: { rpm?: number; tpm?: number };
}

export function costUsd(arm: ArmConfig, usage: { inputTokens: number; outputTokens: number }): number {
  return (usage.inputTokens * arm.pricing.inputPer1M + usage.outputTokens * arm.pricing.outputPer1M) / 1_000_000;
}
