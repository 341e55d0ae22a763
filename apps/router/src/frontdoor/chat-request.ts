import { OBJECTIVES, type RequestV1Input } from '@switchyard/contracts';
import { z } from 'zod';
import { OpenAiError } from './openai-error';
import { quoteInput } from './quote-input';

/** Text parts of a message (`[{ type: 'text', text }]`), as the SDK sends multi-part content. */
const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });

const toolCall = z.object({ id: z.string().min(1), type: z.literal('function'), function: z.object({ name: z.string().min(1), arguments: z.string() }) });

const message = z.object({
  // `developer` is the newer name of `system` (reasoning models); both become system here.
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(textPart).min(1), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).min(1).optional(),
  tool_call_id: z.string().min(1).optional(),
});

const tool = z.object({
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
});

const toolChoice = z.union([z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) })]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({ name: z.string().min(1).max(64), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish(), description: z.string().optional() }),
  }),
]);

/** Switchyard's own options, in the body's `switchyard` field (the SDK's `extra_body` / an extra key). */
export const switchyardOptionsSchema = z.strictObject({
  class: z.string().min(1).max(64).optional(),
  objective: z.enum(OBJECTIVES).optional(),
  tenant: z.string().min(1).max(128).optional(),
  deadlineMs: z.int().positive().max(600_000).optional(),
  valueUsd: z.number().nonnegative().optional(),
  latencyUsdPerSecond: z.number().nonnegative().optional(),
  latencySloMs: z.int().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
  conversationId: z.string().min(1).max(256).optional(),
  hedge: z.boolean().optional(),
  contentPolicyFallback: z.boolean().optional(),
  /** Arm ids or model names allowed, narrower than `model`. */
  models: z.array(z.string().min(1)).min(1).optional(),
});
export type SwitchyardOptions = z.infer<typeof switchyardOptionsSchema>;

/**
 * The Chat Completions body the official SDKs send. Unknown fields are refused, naming the field,
 * like OpenAI does ("Unrecognized request argument supplied"), so a typo is not silently ignored.
 * Accepted and ignored: `user`, `store`, `metadata` (carried as request metadata), `seed`,
 * `n: 1`, `parallel_tool_calls`, `service_tier` — they change nothing a router decides.
 */
export const chatCompletionBodySchema = z.strictObject({
  model: z.string().min(1, 'you must provide a model parameter'),
  messages: z.array(message).min(1),
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).max(16)]).nullish(),
  response_format: responseFormat.optional(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).nullish(),
  tools: z.array(tool).min(1).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  n: z.literal(1).nullish(),
  user: z.string().optional(),
  store: z.boolean().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  seed: z.int().nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  service_tier: z.string().nullish(),
  switchyard: switchyardOptionsSchema.optional(),
});
export type ChatCompletionBody = z.infer<typeof chatCompletionBodySchema>;

/** OpenAI's `param` for a zod path: `messages[0].content`, `response_format.json_schema`. */
export function openAiParam(path: readonly PropertyKey[]): string | null {
  if (path.length === 0) return null;
  let out = '';
  for (const part of path) out += typeof part === 'number' || /^\d+$/.test(String(part)) ? `[${String(part)}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}

/** Parses the body; a bad one is a 400 naming the first bad field in `param`. */
export function parseChatBody(json: unknown): ChatCompletionBody {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw OpenAiError.badRequest('the request body must be a JSON object', null, 'invalid_type');
  const parsed = chatCompletionBodySchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.code === 'unrecognized_keys' ? openAiParam([...issue.path, issue.keys[0]]) : openAiParam(issue.path);
  // A field name is caller input too (an unknown key can be 10 KB long).
  const param = field === null ? null : quoteInput(field);
  // zod does not report the input by default: look the field up to tell missing from invalid.
  const missing = issue.code === 'invalid_type' && valueAt(json, issue.path) === undefined;
  const message =
    issue.code === 'unrecognized_keys'
      ? `Unrecognized request argument supplied: ${param}`
      : missing
        ? `Missing required parameter: '${param}'.`
        : `Invalid '${param}': ${issue.message}`;
  throw OpenAiError.badRequest(message, param, issue.code === 'unrecognized_keys' ? 'unknown_parameter' : missing ? 'missing_required_parameter' : 'invalid_value');
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** What `model` names: every arm, some arms (an arm id or a provider model name), or a request class. */
export type ModelTarget = { kind: 'auto' } | { kind: 'arms'; models: string[] } | { kind: 'class'; name: string };

export const AUTO_MODEL = 'switchyard/auto';

/** What the routing table offers under `model`: arm ids, provider model names, request classes. */
export interface ModelCatalog {
  arms: ReadonlyArray<{ id: string; model: string }>;
  classes: readonly string[];
}

/** Resolves `model`; an unknown one is a 404 `model_not_found`, as OpenAI answers it. */
export function resolveModel(model: string, catalog: ModelCatalog): ModelTarget {
  if (model === AUTO_MODEL || model === 'auto') return { kind: 'auto' };
  if (catalog.arms.some((a) => a.id === model || a.model === model)) return { kind: 'arms', models: [model] };
  const className = model.startsWith('switchyard/') ? model.slice('switchyard/'.length) : model;
  if (catalog.classes.includes(className)) return { kind: 'class', name: className };
  throw new OpenAiError(404, `The model \`${quoteInput(model)}\` does not exist: use an arm id, a model of an arm, a request class, or ${AUTO_MODEL} (GET /v1/models lists them)`, 'invalid_request_error', 'model_not_found', 'model');
}

/** Switchyard options from headers (`x-switchyard-class`, …); the body's `switchyard` field wins. */
export function optionsFromHeaders(header: (name: string) => string | undefined): SwitchyardOptions {
  const raw: Record<string, unknown> = {};
  const text = (name: string, key: keyof SwitchyardOptions) => {
    const v = header(name);
    if (v !== undefined && v !== '') raw[key] = v;
  };
  const num = (name: string, key: keyof SwitchyardOptions) => {
    const v = header(name);
    if (v !== undefined && v !== '') raw[key] = Number(v);
  };
  text('x-switchyard-class', 'class');
  text('x-switchyard-objective', 'objective');
  text('x-switchyard-tenant', 'tenant');
  num('x-switchyard-deadline-ms', 'deadlineMs');
  num('x-switchyard-value-usd', 'valueUsd');
  num('x-switchyard-latency-slo-ms', 'latencySloMs');
  num('x-switchyard-max-cost-usd', 'maxCostUsd');
  text('x-switchyard-conversation-id', 'conversationId');
  const parsed = switchyardOptionsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = `x-switchyard-${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  throw OpenAiError.badRequest(`Invalid header ${name}: ${issue.message}`, name);
}

export interface ChatRequestContext {
  id: string;
  /** The tenant of the API key (or the unauthenticated default). */
  tenant: string;
  /** The tenant may be chosen per request (no keys configured); with keys it is the key's. */
  tenantFromKey: boolean;
  target: ModelTarget;
  options: SwitchyardOptions;
}

/**
 * The Chat Completions body as request v1 (before the contract's own validation). Refuses what a
 * request v1 cannot carry (the deprecated `function` role, non-text content) with a 400 naming the field.
 */
export function toRequestV1(body: ChatCompletionBody, ctx: ChatRequestContext): RequestV1Input {
  const messages = body.messages.map((m, i) => {
    if (m.role === 'function') {
      throw OpenAiError.badRequest("the deprecated 'function' role is not supported: use tools and 'tool' messages", `messages[${i}].role`, 'unsupported_value');
    }
    const content = typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p) => p.text).join('\n') : undefined;
    const toolCalls = m.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
    if (toolCalls && m.role !== 'assistant') throw OpenAiError.badRequest('only an assistant message carries tool_calls', `messages[${i}].tool_calls`, 'invalid_value');
    if (m.role === 'tool') {
      if (!m.tool_call_id) throw OpenAiError.badRequest(`Missing required parameter: 'messages[${i}].tool_call_id'.`, `messages[${i}].tool_call_id`, 'missing_required_parameter');
      return { role: 'tool' as const, content: content ?? '', toolCallId: m.tool_call_id };
    }
    // An assistant turn that only called tools has no content.
    if (content === undefined && !toolCalls) throw OpenAiError.badRequest(`Missing required parameter: 'messages[${i}].content'.`, `messages[${i}].content`, 'missing_required_parameter');
    return { role: m.role === 'developer' ? ('system' as const) : m.role, content: content ?? '', ...(toolCalls ? { toolCalls } : {}) };
  });
  const tools = body.tools?.map((t) => ({
    name: t.function.name,
    ...(t.function.description !== undefined ? { description: t.function.description } : {}),
    ...(t.function.parameters ? { parameters: t.function.parameters } : {}),
  }));
  const choice = body.tool_choice;
  const toolChoice = choice === undefined ? undefined : typeof choice === 'string' ? choice : { name: choice.function.name };
  const { options, target } = ctx;
  if (options.tenant !== undefined && ctx.tenantFromKey && options.tenant !== ctx.tenant) {
    throw new OpenAiError(403, `this API key belongs to tenant "${ctx.tenant}" and cannot be used for tenant "${quoteInput(options.tenant)}"`, 'invalid_request_error', 'tenant_mismatch', 'switchyard.tenant');
  }
  if (target.kind === 'class' && options.class !== undefined && options.class !== target.name) {
    throw OpenAiError.badRequest(`model names class "${target.name}" but switchyard.class is "${quoteInput(options.class)}"`, 'switchyard.class', 'invalid_value');
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const stop = body.stop === null || body.stop === undefined ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
  const format = body.response_format;
  const responseFormat =
    format === undefined || format.type === 'text'
      ? undefined
      : format.type === 'json_object'
        ? { type: 'json_object' as const }
        : format.json_schema.schema
          ? { type: 'json_schema' as const, name: format.json_schema.name, schema: format.json_schema.schema }
          : { type: 'json_object' as const };
  const models = options.models ?? (target.kind === 'arms' ? target.models : undefined);
  return {
    schemaVersion: 1,
    id: ctx.id,
    tenant: ctx.tenantFromKey ? ctx.tenant : (options.tenant ?? ctx.tenant),
    class: target.kind === 'class' ? target.name : options.class,
    messages,
    params: {
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(body.temperature !== null && body.temperature !== undefined ? { temperature: body.temperature } : {}),
      ...(body.top_p !== null && body.top_p !== undefined ? { topP: body.top_p } : {}),
      ...(stop?.length ? { stop } : {}),
      ...(responseFormat ? { responseFormat } : {}),
      ...(tools ? { tools } : {}),
      ...(toolChoice !== undefined ? { toolChoice } : {}),
    },
    routing: {
      ...(models ? { models } : {}),
      ...(options.objective ? { objective: options.objective } : {}),
      ...pick(options, ['latencySloMs', 'maxCostUsd', 'deadlineMs', 'conversationId', 'hedge', 'contentPolicyFallback', 'valueUsd', 'latencyUsdPerSecond']),
    },
    ...(body.metadata ? { metadata: body.metadata } : {}),
  };
}

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/**
 * OpenAI's `param` for a request v1 issue path, so a limit or contract error names the field the
 * caller sent (`params.maxTokens` → `max_tokens`, `routing.deadlineMs` → `switchyard.deadlineMs`).
 */
export function v1PathToParam(path: readonly string[]): string | null {
  const [head, ...rest] = path;
  if (head === undefined) return null;
  if (head === 'messages') return openAiParam(path);
  if (head === 'params') {
    const names: Record<string, string> = { maxTokens: 'max_tokens', temperature: 'temperature', topP: 'top_p', stop: 'stop', responseFormat: 'response_format', tools: 'tools', toolChoice: 'tool_choice' };
    return rest[0] ? (names[rest[0]] ?? rest[0]) : null;
  }
  if (head === 'routing') return rest[0] ? `switchyard.${rest[0]}` : 'switchyard';
  if (head === 'class' || head === 'tenant') return `switchyard.${head}`;
  if (head === 'metadata') return 'metadata';
  return head;
}
