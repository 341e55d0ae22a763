import type { ProviderCall } from '@switchyard/core';

/** Anthropic's temperature range is 0–1 (OpenAI's 0–2). */
const ANTHROPIC_MAX_TEMPERATURE = 1;

export interface AnthropicSampling {
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  /** What could not be sent as asked, for the attempt's trace. */
  dropped: string[];
}

/**
 * temperature, top_p and stop as the Messages API takes them. Current Claude models refuse
 * `temperature` and `top_p` together ("cannot both be specified for this model"), and Anthropic
 * advises altering one of them: with both, temperature is sent and top_p dropped. A temperature
 * above 1 (valid for OpenAI) is sent as 1. Each such change is reported.
 */
export function anthropicSampling(call: Pick<ProviderCall, 'temperature' | 'topP' | 'stop'>): AnthropicSampling {
  const out: AnthropicSampling = { dropped: [] };
  if (call.temperature !== undefined) {
    out.temperature = Math.min(call.temperature, ANTHROPIC_MAX_TEMPERATURE);
    if (call.temperature > ANTHROPIC_MAX_TEMPERATURE) out.dropped.push(`temperature ${call.temperature} → ${ANTHROPIC_MAX_TEMPERATURE} (Anthropic's maximum)`);
  }
  if (call.topP !== undefined) {
    if (call.temperature !== undefined) out.dropped.push('top_p (Anthropic takes temperature or top_p, not both)');
    else out.top_p = call.topP;
  }
  if (call.stop !== undefined && call.stop.length > 0) out.stop_sequences = call.stop;
  return out;
}
