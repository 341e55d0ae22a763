// Anthropic Messages wire format: request validation, responses and errors in the exact shapes the
// official API (and therefore the official SDK) uses.
import { countTokens } from './completion-text';
import type { ModelSpec } from './config-schema';
import type { Completion, FinishKind, SimError, SimRequest } from './sim-request';
import { contentText, isRecord, json, nextId, stopList, type WireApi, type WireResponse } from './wire';

const LIMIT_REQUESTS = 4_000;

function invalid(message: string): SimError {
  return { kind: 'bad_request', message, param: null, code: null };
}

function errorJson(status: number, headers: Record<string, string>, type: string, message: string, requestId: string): WireResponse {
  return json(status, headers, { type: 'error', error: { type, message }, request_id: requestId });
}

function baseHeaders(requestId: string): Record<string, string> {
  return {
    'request-id': requestId,
    'anthropic-ratelimit-requests-limit': String(LIMIT_REQUESTS),
    'anthropic-ratelimit-requests-remaining': String(LIMIT_REQUESTS - 1),
    'anthropic-ratelimit-requests-reset': new Date(Date.now() + 15).toISOString(),
  };
}

const SERVER_ERRORS: Record<number, [string, string]> = {
  500: ['api_error', 'Internal server error'],
  502: ['api_error', 'Bad gateway'],
  503: ['api_error', 'Service unavailable'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

const STOP_REASONS = { stop: 'end_turn', length: 'max_tokens', content_filter: 'refusal', stop_sequence: 'stop_sequence', tool_calls: 'tool_use' } as const;

function event(name: string, payload: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
}

export const anthropicWire: WireApi = {
  api: 'anthropic',

  parseRequest(body: unknown): SimRequest | SimError {
    if (!isRecord(body)) return invalid('Invalid request body: expected a JSON object');
    if (typeof body.model !== 'string' || body.model === '') return invalid('model: Field required');
    if (body.max_tokens === undefined) return invalid('max_tokens: Field required');
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) return invalid('max_tokens: Input should be a valid integer');
    if (body.max_tokens < 1) return invalid('max_tokens: Input should be greater than or equal to 1');
    const messages = body.messages;
    if (messages === undefined) return invalid('messages: Field required');
    if (!Array.isArray(messages)) return invalid('messages: Input should be a valid list');
    if (messages.length === 0) return invalid('messages: at least one message is required');
    let prompt = '';
    let chars = 0;
    const system = contentText(body.system);
    if (system === null) return invalid('system: Input should be a valid string or list of text blocks');
    if (system) {
      prompt += `system: ${system}\n`;
      chars += system.length;
    }
    for (let i = 0; i < messages.length; i++) {
      const m: unknown = messages[i];
      if (!isRecord(m) || (m.role !== 'user' && m.role !== 'assistant')) {
        return invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
      }
      const text = contentText(m.content);
      if (text === null) return invalid(`messages.${i}.content: Input should be a valid string or list of content blocks`);
      prompt += `${m.role}: ${text}\n`;
      chars += text.length;
    }
    const stop = stopList(body.stop_sequences);
    if (stop === null) return invalid('stop_sequences: Input should be a valid list of strings');
    const tools = Array.isArray(body.tools) ? body.tools.flatMap((t: unknown) => (isRecord(t) && typeof t.name === 'string' ? [t.name] : [])) : [];
    const last = messages[messages.length - 1] as Record<string, unknown>;
    const toolTurn = Array.isArray(last.content) && last.content.some((b: unknown) => isRecord(b) && b.type === 'tool_result');
    const choice = body.tool_choice;
    const forcedTool = isRecord(choice) && choice.type === 'tool' && typeof choice.name === 'string' ? choice.name : undefined;
    if (forcedTool !== undefined && !tools.includes(forcedTool)) return invalid(`tool_choice.name: no tool named ${forcedTool} in tools`);
    return {
      model: body.model, prompt, inputTokens: countTokens(chars), maxTokens: body.max_tokens, stop,
      ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}), ...(typeof body.top_p === 'number' ? { topP: body.top_p } : {}),
      ...(forcedTool !== undefined ? { forcedTool } : {}),
      ...(body.stream === true ? { stream: true } : {}), ...(tools.length ? { tools, toolTurn } : {}),
    };
  },

  finishLabel(finish: FinishKind): string {
    return STOP_REASONS[finish];
  },

  completion(c: Completion): WireResponse {
    return json(200, baseHeaders(nextId('req_')), {
      id: c.id || nextId('msg_'),
      type: 'message',
      role: 'assistant',
      model: c.model,
      content: c.toolCall ? [{ type: 'tool_use', id: c.toolCall.id, name: c.toolCall.name, input: JSON.parse(c.toolCall.arguments) as unknown }] : [{ type: 'text', text: c.text }],
      stop_reason: STOP_REASONS[c.finish],
      stop_sequence: c.stopSequence,
      usage: {
        input_tokens: c.inputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: c.outputTokens,
        service_tier: 'standard',
      },
    });
  },

  streamOpen(c: Completion): string {
    const message = {
      id: c.id, type: 'message', role: 'assistant', model: c.model, content: [], stop_reason: null, stop_sequence: null,
      usage: { input_tokens: c.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1, service_tier: 'standard' },
    };
    const block = c.toolCall ? { type: 'tool_use', id: c.toolCall.id, name: c.toolCall.name, input: {} } : { type: 'text', text: '' };
    return event('message_start', { type: 'message_start', message })
      + event('content_block_start', { type: 'content_block_start', index: 0, content_block: block })
      + event('ping', { type: 'ping' });
  },

  streamText(c: Completion, text: string): string {
    // A tool call's input streams as pieces of its JSON text.
    const delta = c.toolCall ? { type: 'input_json_delta', partial_json: text } : { type: 'text_delta', text };
    return event('content_block_delta', { type: 'content_block_delta', index: 0, delta });
  },

  streamClose(c: Completion): string {
    return event('content_block_stop', { type: 'content_block_stop', index: 0 })
      + event('message_delta', { type: 'message_delta', delta: { stop_reason: STOP_REASONS[c.finish], stop_sequence: c.stopSequence }, usage: { output_tokens: c.outputTokens } })
      + event('message_stop', { type: 'message_stop' });
  },

  error(e: SimError, status: number): WireResponse {
    const requestId = nextId('req_');
    const h = baseHeaders(requestId);
    const err = (s: number, type: string, message: string, headers = h) => errorJson(s, headers, type, message, requestId);
    switch (e.kind) {
      case 'invalid_json':
        return err(400, 'invalid_request_error', 'There was an issue with the request body: invalid JSON');
      case 'bad_request':
        return err(status, 'invalid_request_error', e.message);
      case 'model_not_found':
        return err(404, 'not_found_error', `model: ${e.model}`);
      case 'route_not_found':
        return err(404, 'not_found_error', 'Not Found');
      case 'auth':
        if (e.reason === 'missing') return err(401, 'authentication_error', 'x-api-key header is required');
        return err(status, status === 403 ? 'permission_error' : 'authentication_error', status === 403 ? 'Your API key does not have permission to use the specified resource.' : 'invalid x-api-key');
      case 'rate_limit': {
        const s = e.retryAfterS;
        return err(429, 'rate_limit_error',
          `This request would exceed the rate limit for your organization (switchyard-sim) of ${LIMIT_REQUESTS} requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.`,
          {
            ...h,
            'retry-after': String(Math.ceil(s)),
            'anthropic-ratelimit-requests-remaining': '0',
            'anthropic-ratelimit-requests-reset': new Date(Date.now() + s * 1000).toISOString(),
          });
      }
      case 'server': {
        const [type, message] = SERVER_ERRORS[e.status] ?? ['api_error', 'Internal server error'];
        return err(e.status, type, message);
      }
      case 'context_overflow':
        return err(400, 'invalid_request_error', e.inputTokens > e.contextWindow || e.maxTokens === null
          ? `prompt is too long: ${e.inputTokens} tokens > ${e.contextWindow} maximum`
          : `input length and \`max_tokens\` exceed context limit: ${e.inputTokens} + ${e.maxTokens} > ${e.contextWindow}, decrease input length or \`max_tokens\` and try again`);
      case 'max_tokens_too_large':
        return err(400, 'invalid_request_error',
          `max_tokens: ${e.maxTokens} > ${e.limit}, which is the maximum allowed number of output tokens for ${e.model}`);
      case 'content_policy':
        return err(400, 'invalid_request_error', 'Output blocked by content filtering policy');
    }
  },

  listModels(models: ModelSpec[]): WireResponse {
    const data = models.map((m) => ({ type: 'model', id: m.name, display_name: m.name, created_at: '2025-09-29T00:00:00Z' }));
    return json(200, baseHeaders(nextId('req_')), {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
    });
  },
};
