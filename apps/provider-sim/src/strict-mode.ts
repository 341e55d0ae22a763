// Strict mode: the simulator refuses what the real APIs refuse, so a client that only works against
// a lenient server is found here and not in production. On by default (`strict: false` turns it off).
import type { IncomingMessage } from 'node:http';
import type { ApiKind } from './config-schema';
import { headerValue } from './http-io';
import type { SimError } from './sim-request';

export interface StrictSettings {
  strict: boolean;
  /** Accepted API keys; any non-empty key when absent. */
  apiKeys?: readonly string[];
}

/**
 * Top-level request fields each API documents. OpenAI: Chat Completions create (openai 7.x
 * `ChatCompletionCreateParamsBase`). Anthropic: Messages create (@anthropic-ai/sdk 1.x
 * `MessageCreateParamsBase`) plus the sampling fields the API reference still lists
 * (`temperature`, `top_p`, `top_k`) and the beta `context_management` / `mcp_servers`.
 */
export const KNOWN_FIELDS: Record<ApiKind, ReadonlySet<string>> = {
  openai: new Set([
    'messages', 'model', 'audio', 'frequency_penalty', 'function_call', 'functions', 'logit_bias', 'logprobs', 'max_completion_tokens',
    'max_tokens', 'metadata', 'modalities', 'moderation', 'n', 'parallel_tool_calls', 'prediction', 'presence_penalty', 'prompt_cache_key',
    'prompt_cache_options', 'prompt_cache_retention', 'reasoning_effort', 'response_format', 'safety_identifier', 'seed', 'service_tier', 'stop',
    'store', 'stream', 'stream_options', 'temperature', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'user', 'verbosity', 'web_search_options',
  ]),
  anthropic: new Set([
    'max_tokens', 'messages', 'model', 'cache_control', 'container', 'context_management', 'diagnostics', 'inference_geo', 'mcp_servers', 'metadata',
    'output_config', 'service_tier', 'speed', 'stop_sequences', 'stream', 'system', 'temperature', 'thinking', 'tool_choice', 'tools', 'top_k',
    'top_p', 'user_profile_id', 'workspace_id',
  ]),
};

/** Which auth headers a call carried (for the call log). */
export type AuthSeen = 'x-api-key' | 'bearer' | 'both' | null;

export function authSeen(req: IncomingMessage): AuthSeen {
  const apiKey = !!headerValue(req, 'x-api-key');
  const bearer = /^bearer\s+\S/i.test(headerValue(req, 'authorization') ?? '');
  return apiKey && bearer ? 'both' : apiKey ? 'x-api-key' : bearer ? 'bearer' : null;
}

/**
 * The documented auth of each API: OpenAI `Authorization: Bearer <key>`; Anthropic `x-api-key`
 * and `anthropic-version` (a missing version is a 400 there, as on the real API). Null when fine.
 */
export function checkAuth(api: ApiKind, req: IncomingMessage, settings: StrictSettings): { error: SimError; status: number; fault: string } | null {
  if (!settings.strict) return null;
  const key = api === 'openai' ? /^bearer\s+(\S+)/i.exec(headerValue(req, 'authorization') ?? '')?.[1] : headerValue(req, 'x-api-key') || undefined;
  if (!key) return { error: { kind: 'auth', reason: 'missing' }, status: 401, fault: 'missing_api_key' };
  if (settings.apiKeys && !settings.apiKeys.includes(key)) return { error: { kind: 'auth', reason: 'wrong' }, status: 401, fault: 'invalid_api_key' };
  if (api === 'anthropic' && !headerValue(req, 'anthropic-version')) {
    return { error: { kind: 'bad_request', message: 'anthropic-version: header is required', param: null, code: null }, status: 400, fault: 'missing_anthropic_version' };
  }
  return null;
}

/** Unknown top-level body fields, and Anthropic's sampling rules. Null when fine. */
export function checkBody(api: ApiKind, body: unknown, settings: StrictSettings): SimError | null {
  if (!settings.strict || typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).find((k) => !KNOWN_FIELDS[api].has(k));
  if (unknown !== undefined) {
    return api === 'openai'
      ? { kind: 'bad_request', message: `Unrecognized request argument supplied: ${unknown}`, param: null, code: null }
      : { kind: 'bad_request', message: `${unknown}: Extra inputs are not permitted`, param: null, code: null };
  }
  if (api === 'anthropic') {
    if (record.temperature !== undefined && record.top_p !== undefined) {
      return { kind: 'bad_request', message: '`temperature` and `top_p` cannot both be specified for this model. Please use only one.', param: null, code: null };
    }
    if (typeof record.temperature === 'number' && (record.temperature < 0 || record.temperature > 1)) {
      return { kind: 'bad_request', message: 'temperature: Input should be less than or equal to 1', param: null, code: null };
    }
  }
  return null;
}
