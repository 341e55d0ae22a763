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

/** A piece of canonical JSON still to write: literal text, or a value to expand. */
type Pending = { text: string } | { value: unknown };

/**
 * JSON with object keys sorted, so `{a, b}` and `{b, a}` hash alike. Walked with an explicit
 * stack, not recursion: request params are caller input, and no nesting may overflow the stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const pending: Pending[] = [{ value }];
  while (pending.length > 0) {
    const item = pending.pop()!;
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const v = item.value;
    if (v === null || typeof v !== 'object') {
      out.push(JSON.stringify(v ?? null));
      continue;
    }
    const parts: Pending[] = [];
    if (Array.isArray(v)) {
      parts.push({ text: '[' });
      v.forEach((element: unknown, i) => parts.push(...(i > 0 ? [{ text: ',' }] : []), { value: element }));
      parts.push({ text: ']' });
    } else {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, e]) => e !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      parts.push({ text: '{' });
      entries.forEach(([k, e], i) => parts.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(k)}:` }, { value: e }));
      parts.push({ text: '}' });
    }
    for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]);
  }
  return out.join('');
}
