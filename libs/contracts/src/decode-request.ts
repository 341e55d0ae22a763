import { z } from 'zod';
import type { DlqReason } from './dlq.schema';
import { jsonDepthExceeds } from './json-depth';
import { DEFAULT_LIMITS, type RequestLimits } from './limits';
import { requestV1Schema, type RequestV1 } from './request.schema';

/**
 * Who sent a message that could not become a request, when its bytes say so: enough to send the
 * caller a classified failure response instead of leaving it waiting.
 */
export interface Caller {
  id: string;
  tenant: string;
  replyTopic?: string;
}

export type DecodeResult =
  | { ok: true; request: RequestV1 }
  | { ok: false; reason: DlqReason; message: string; requestId?: string; caller?: Caller; issues?: RequestIssue[] };

/** One thing wrong with a request, at a field path (`['messages', '0', 'role']`): an HTTP edge names it. */
export interface RequestIssue {
  path: string[];
  message: string;
}

/** Oversized messages are still parsed for their caller up to this many times the byte limit. */
const CALLER_PARSE_FACTOR = 16;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes → validated request, or a classified reason. Never throws: the consumer routes every
 * failure to the DLQ and moves on.
 */
export function decodeRequest(value: Buffer | null, limits: RequestLimits = DEFAULT_LIMITS): DecodeResult {
  if (value === null || value.length === 0) {
    return { ok: false, reason: 'undecodable', message: 'empty message value (tombstone or null payload)' };
  }
  if (value.length > limits.maxMessageBytes) {
    const caller = value.length <= limits.maxMessageBytes * CALLER_PARSE_FACTOR ? callerOf(parseQuietly(value)) : undefined;
    return {
      ok: false,
      reason: 'oversize',
      message: `message is ${value.length} bytes; the limit is ${limits.maxMessageBytes} bytes (ROUTER_MAX_MESSAGE_BYTES)`,
      requestId: caller?.id,
      caller,
    };
  }
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return { ok: false, reason: 'undecodable', message: 'message value is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'invalid_json', message: `message value is not JSON: ${(err as Error).message}` };
  }
  return validateRequest(json, limits);
}

/**
 * Parsed JSON → validated request, or a classified reason: the schema and the limits, the same
 * for every edge (a Kafka record here, an HTTP body mapped to request v1 by the front door).
 */
export function validateRequest(json: unknown, limits: RequestLimits = DEFAULT_LIMITS): DecodeResult {
  const requestId = idOf(json);
  // First: nothing below (the schema, cache keys, schema compilers, JSON.stringify) walks a value deeper than this.
  if (jsonDepthExceeds(json, limits.maxJsonDepth)) {
    const message = depthMessage(limits.maxJsonDepth);
    return { ok: false, reason: 'limits', message, requestId, caller: callerOf(json), issues: [{ path: [], message }] };
  }
  const parsed = requestV1Schema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: 'schema', message: describeIssues(parsed.error), requestId, caller: callerOf(json), issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) };
  }
  const limitError = checkLimits(parsed.data, limits);
  if (limitError) return { ok: false, reason: 'limits', message: limitError.message, requestId, caller: callerOf(json), issues: [{ path: limitError.path, message: limitError.message }] };
  return { ok: true, request: parsed.data };
}

/** The refusal of a value nested deeper than the limit (the same words at every edge). */
export function depthMessage(maxJsonDepth: number): string {
  return `request nests objects and arrays deeper than the limit of ${maxJsonDepth} levels (ROUTER_MAX_JSON_DEPTH)`;
}

function idOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const id = (json as Record<string, unknown>).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}

function parseQuietly(value: Buffer): unknown {
  try {
    return JSON.parse(utf8.decode(value));
  } catch {
    return undefined;
  }
}

/** The id, tenant and reply topic of a JSON object, when each is a usable string. */
export function callerOf(json: unknown): Caller | undefined {
  const id = idOf(json);
  if (!id) return undefined;
  const o = json as Record<string, unknown>;
  const tenant = typeof o.tenant === 'string' && o.tenant.length > 0 && o.tenant.length <= 128 ? o.tenant : undefined;
  if (!tenant) return undefined;
  const replyTopic = typeof o.replyTopic === 'string' && TOPIC_NAME.test(o.replyTopic) ? o.replyTopic : undefined;
  return { id, tenant, replyTopic };
}

/** Kafka's legal topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** One line per issue, each naming the field, e.g. `messages.0.role: Invalid option ...`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function checkLimits(request: RequestV1, limits: RequestLimits): { path: string[]; message: string } | undefined {
  if (request.messages.length > limits.maxMessages) {
    return { path: ['messages'], message: `request has ${request.messages.length} messages; the limit is ${limits.maxMessages} (ROUTER_MAX_MESSAGES)` };
  }
  const longest = request.messages.findIndex((m) => m.content.length > limits.maxContentChars);
  if (longest >= 0) {
    return {
      path: ['messages', String(longest), 'content'],
      message: `messages.${longest}.content has ${request.messages[longest].content.length} characters; the limit is ${limits.maxContentChars} (ROUTER_MAX_CONTENT_CHARS)`,
    };
  }
  return undefined;
}
