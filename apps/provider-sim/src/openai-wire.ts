// OpenAI Chat Completions wire format: request validation, responses and errors in the exact shapes
// the official API (and therefore the official SDK) uses.
import { countTokens } from './completion-text';
import type { ModelSpec } from './config-schema';
import type { Completion, FinishKind, SimError, SimRequest } from './sim-request';
import { contentText, isRecord, json, nextId, stopList, type WireApi, type WireResponse } from './wire';

const LIMIT_REQUESTS = 10_000;
const LIMIT_TOKENS = 30_000_000;

function badRequest(message: string, param: string | null = null, code: string | null = null): SimError {
  return { kind: 'bad_request', message, param, code };
}

function baseHeaders(): Record<string, string> {
  return {
    'x-request-id': nextId('req_'),
    'openai-version': '2020-10-01',
    'openai-organization': 'switchyard-sim',
    'x-ratelimit-limit-requests': String(LIMIT_REQUESTS),
    'x-ratelimit-remaining-requests': String(LIMIT_REQUESTS - 1),
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-limit-tokens': String(LIMIT_TOKENS),
    'x-ratelimit-remaining-tokens': String(LIMIT_TOKENS - 1000),
    'x-ratelimit-reset-tokens': '2ms',
  };
}

function errorBody(message: string, type: string, param: string | null, code: string | null) {
  return { error: { message, type, param, code } };
}

const SERVER_MESSAGES: Record<number, string> = {
  500: 'The server had an error while processing your request. Sorry about that!',
  502: 'Bad gateway.',
  503: 'The server is overloaded or not ready yet.',
  504: 'Gateway timeout.',
};

function chunk(c: Completion, choices: unknown[], extra: Record<string, unknown> = {}): string {
  const payload = { id: c.id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: c.model, service_tier: 'default', system_fingerprint: 'fp_sim', choices, ...extra };
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const openaiWire: WireApi = {
  api: 'openai',

  parseRequest(body: unknown): SimRequest | SimError {
    if (!isRecord(body)) return badRequest('Invalid request body: expected a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') return badRequest('you must provide a model parameter');
    const messages = body.messages;
    if (messages === undefined) return badRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
    if (!Array.isArray(messages)) {
      return badRequest(`Invalid type for 'messages': expected an array of objects, but got ${typeof messages} instead.`, 'messages', 'invalid_type');
    }
    if (messages.length === 0) {
      return badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
    }
    let prompt = '';
    for (let i = 0; i < messages.length; i++) {
      const m: unknown = messages[i];
      if (!isRecord(m) || typeof m.role !== 'string') {
        return badRequest(`Missing required parameter: 'messages[${i}].role'.`, `messages[${i}].role`, 'missing_required_parameter');
      }
      const text = contentText(m.content);
      if (text === null) {
        return badRequest(`Invalid type for 'messages[${i}].content': expected one of a string or array of objects.`, `messages[${i}].content`, 'invalid_type');
      }
      prompt += `${m.role}: ${text}\n`;
    }
    const rawMax = body.max_completion_tokens ?? body.max_tokens;
    const maxParam = body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
    let maxTokens: number | null = null;
    if (rawMax !== undefined && rawMax !== null) {
      if (typeof rawMax !== 'number' || !Number.isInteger(rawMax)) {
        return badRequest(`Invalid type for '${maxParam}': expected an integer, but got ${typeof rawMax} instead.`, maxParam, 'invalid_type');
      }
      if (rawMax < 1) {
        return badRequest(`Invalid '${maxParam}': integer below minimum value. Expected a value >= 1, but got ${rawMax} instead.`, maxParam, 'integer_below_min_value');
      }
      maxTokens = rawMax;
    }
    const stop = stopList(body.stop);
    if (stop === null) return badRequest("Invalid type for 'stop': expected a string or an array of strings.", 'stop', 'invalid_type');
    // Token estimate counts message text only (roles and separators are not charged).
    let chars = 0;
    for (const m of messages as Record<string, unknown>[]) chars += (contentText(m.content) ?? '').length;
    const format = isRecord(body.response_format) ? body.response_format.type : undefined;
    const json = format === 'json_object' || format === 'json_schema';
    const stream = body.stream === true;
    const includeUsage = stream && isRecord(body.stream_options) && body.stream_options.include_usage === true;
    const tools = Array.isArray(body.tools) ? body.tools.flatMap((t: unknown) => (isRecord(t) && isRecord(t.function) && typeof t.function.name === 'string' ? [t.function.name] : [])) : [];
    const last = messages[messages.length - 1] as Record<string, unknown>;
    return {
      model: body.model, prompt, inputTokens: countTokens(chars), maxTokens, stop,
      ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}), ...(typeof body.top_p === 'number' ? { topP: body.top_p } : {}),
      ...(json ? { json } : {}), ...(stream ? { stream, includeUsage } : {}),
      ...(tools.length ? { tools, toolTurn: last.role === 'tool' } : {}),
    };
  },

  finishLabel(finish: FinishKind): string {
    return finish === 'stop_sequence' ? 'stop' : finish;
  },

  completion(c: Completion): WireResponse {
    const finish = this.finishLabel(c.finish);
    return json(200, { ...baseHeaders(), 'openai-processing-ms': '0' }, {
      id: c.id || nextId('chatcmpl-'),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: c.model,
      choices: [{
        index: 0,
        message: c.toolCall
          ? { role: 'assistant', content: null, refusal: null, annotations: [], tool_calls: [{ id: c.toolCall.id, type: 'function', function: { name: c.toolCall.name, arguments: c.toolCall.arguments } }] }
          : { role: 'assistant', content: c.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: finish,
      }],
      usage: {
        prompt_tokens: c.inputTokens,
        completion_tokens: c.outputTokens,
        total_tokens: c.inputTokens + c.outputTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_sim',
    });
  },

  streamOpen(c: Completion): string {
    return chunk(c, [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]);
  },

  streamText(c: Completion, text: string): string {
    return chunk(c, [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]);
  },

  streamClose(c: Completion, includeUsage: boolean): string {
    let out = chunk(c, [{ index: 0, delta: {}, logprobs: null, finish_reason: this.finishLabel(c.finish) }]);
    if (includeUsage) out += chunk(c, [], { usage: { prompt_tokens: c.inputTokens, completion_tokens: c.outputTokens, total_tokens: c.inputTokens + c.outputTokens } });
    return `${out}data: [DONE]\n\n`;
  },

  error(e: SimError, status: number): WireResponse {
    const h = baseHeaders();
    switch (e.kind) {
      case 'invalid_json':
        return json(400, h, errorBody(
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
          'invalid_request_error', null, null));
      case 'bad_request':
        return json(status, h, errorBody(e.message, 'invalid_request_error', e.param, e.code));
      case 'model_not_found':
        return json(404, h, errorBody(`The model \`${e.model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found'));
      case 'route_not_found':
        return json(404, h, errorBody(`Invalid URL (${e.method} ${e.path})`, 'invalid_request_error', null, null));
      case 'auth':
        if (e.reason === 'missing') {
          return json(401, h, errorBody(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
            'invalid_request_error', null, null));
        }
        return json(status, h, errorBody(
          'Incorrect API key provided: sk-sim***. You can find your API key at https://platform.openai.com/account/api-keys.',
          'invalid_request_error', null, 'invalid_api_key'));
      case 'rate_limit': {
        const s = e.retryAfterS;
        return json(429, {
          ...h,
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${s}s`,
          'retry-after': String(Math.ceil(s)),
          'retry-after-ms': String(Math.round(s * 1000)),
        }, errorBody(
          `Rate limit reached for ${e.model} in organization org-switchyard-sim on requests per min (RPM): Limit ${LIMIT_REQUESTS}, Used ${LIMIT_REQUESTS}, Requested 1. Please try again in ${s}s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          'requests', null, 'rate_limit_exceeded'));
      }
      case 'server':
        return json(e.status, h, errorBody(SERVER_MESSAGES[e.status] ?? 'The server had an error while processing your request. Sorry about that!', 'server_error', null, null));
      case 'context_overflow': {
        const msg = e.inputTokens > e.contextWindow || e.maxTokens === null
          ? `This model's maximum context length is ${e.contextWindow} tokens. However, your messages resulted in ${e.inputTokens} tokens. Please reduce the length of the messages.`
          : `This model's maximum context length is ${e.contextWindow} tokens. However, you requested ${e.inputTokens + e.maxTokens} tokens (${e.inputTokens} in the messages, ${e.maxTokens} in the completion). Please reduce the length of the messages or completion.`;
        return json(400, h, errorBody(msg, 'invalid_request_error', 'messages', 'context_length_exceeded'));
      }
      case 'max_tokens_too_large':
        return json(400, h, errorBody(
          `max_tokens is too large: ${e.maxTokens}. This model supports at most ${e.limit} completion tokens, whereas you provided ${e.maxTokens}.`,
          'invalid_request_error', 'max_tokens', 'invalid_value'));
      case 'content_policy':
        return json(400, h, errorBody(
          'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
          'invalid_request_error', null, 'content_policy_violation'));
    }
  },

  listModels(models: ModelSpec[]): WireResponse {
    return json(200, baseHeaders(), {
      object: 'list',
      data: models.map((m) => ({ id: m.name, object: 'model', created: 1_715_367_049, owned_by: 'switchyard-sim' })),
    });
  },
};
