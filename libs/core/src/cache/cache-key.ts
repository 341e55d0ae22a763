import { createHash } from 'node:crypto';
import type { ChatMessage } from '../ports/provider';
import type { RouteRequest } from '../routing/route-request';

/**
 * Cache keys. Everything that can change an answer is in the key: the tenant (entries are never
 * shared across tenants), the class and allowed models (the model scope), every generation
 * parameter (temperature, max tokens, stop, response format, tools, ... — the whole `params`
 * object, so a parameter added later is covered without touching this file) and the conversation.
 * Whitespace runs and Unicode forms are normalised; nothing else is (case can change meaning).
 */
export interface CacheKeys {
  /** The exact key: scope + the whole normalised conversation. */
  exact: string;
  /** The semantic scope: tenant, class, models, params and every turn but the last user turn. */
  scope: string;
  /** The last user turn, what a semantic lookup embeds (undefined: no user turn, no semantic match). */
  question?: string;
}

export function cacheKeys(request: RouteRequest): CacheKeys {
  const messages = request.messages.map(normaliseMessage);
  const last = messages.findLastIndex((m) => m.role === 'user');
  const common = {
    t: request.tenant,
    c: request.class,
    m: request.routing.models ? [...request.routing.models].sort() : null,
    p: request.params,
  };
  const history = last < 0 ? messages : [...messages.slice(0, last), { role: 'user', content: '\u0000' }, ...messages.slice(last + 1)];
  return {
    exact: sha256(canonicalJson({ ...common, h: messages })),
    scope: sha256(canonicalJson({ ...common, h: history })),
    question: last < 0 ? undefined : messages[last].content,
  };
}

/** True when the request carries tools: a tool call answers this exact state, never a similar one. */
export function hasTools(request: RouteRequest): boolean {
  return (request.params.tools?.length ?? 0) > 0 || request.messages.some((m) => m.role === 'tool' || (m.toolCalls?.length ?? 0) > 0);
}

/** Every field of a turn (tool calls, the call a tool turn answers, ...), its text normalised. */
function normaliseMessage(m: ChatMessage): ChatMessage {
  return { ...m, content: m.content.normalize('NFC').replace(/\s+/g, ' ').trim() };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
