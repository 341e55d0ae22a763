import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { depthMessage, jsonDepthExceeds, validateRequest, type RequestLimits, type ResponseV1 } from '@switchyard/contracts';
import type { RouterEvent } from '@switchyard/core';
import { extractTraceContext } from '@switchyard/telemetry';
import type { AnswerPipeline } from '../pipeline/answer-pipeline';
import type { ApiKeyStore } from './api-keys';
import { optionsFromHeaders, parseChatBody, resolveModel, toRequestV1, v1PathToParam, type ModelCatalog } from './chat-request';
import { ChunkBuilder, completionId, SSE_DONE, sseData, toChatCompletion } from './chat-response';
import { OpenAiError, routeFailureToOpenAiError } from './openai-error';
import { modelList } from './model-list';
import { quoteInput } from './quote-input';
import { readBody } from './read-body';

/**
 * `keys`: every request needs a configured bearer key, whose tenant it spends for.
 * `open`: no keys configured and FRONTDOOR_ALLOW_UNAUTHENTICATED=true on a loopback HTTP_HOST:
 * anything that can reach the port may call, as FRONTDOOR_DEFAULT_TENANT or `switchyard.tenant`.
 * `off`: neither; /v1 answers 404 saying how to turn it on.
 */
export type FrontDoorMode = 'keys' | 'open' | 'off';

export interface FrontDoorOptions {
  mode: FrontDoorMode;
  keys: ApiKeyStore;
  defaultTenant: string;
  limits: RequestLimits;
  /** Arms and classes as they are now (a routing-table reload changes them). */
  catalog: () => ModelCatalog;
  pipeline: AnswerPipeline;
  /** Seconds until the tenant's spent budget window ends, for Retry-After on budget_exceeded. */
  budgetRetryAfterS?: (tenant: string) => number | undefined;
  /** The router's events: a stream learns from `attempt.started` which arm and model produce its text. */
  events?: { subscribe(listener: (event: RouterEvent) => void): () => void };
}

/** What the front door counts (the Kafka processor keeps its own). */
export interface FrontDoorCounters {
  /** Chat completions routed to an ok answer (replays not included). */
  answered: number;
  /** Chat completions routed to a failure (replays not included). */
  failed: number;
  /** Repeats of an Idempotency-Key answered again from the store (no provider call). */
  replayed: number;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * The OpenAI-compatible HTTP edge: authenticates, maps the Chat Completions body to request v1,
 * validates it with the same contract as the Kafka edge, and answers through the same pipeline
 * (stored answer or the Router), as JSON or as server-sent events. Errors leave in OpenAI's shape.
 */
export class FrontDoor {
  private readonly logger = new Logger('FrontDoor');
  /** Streams being answered, by request id (concurrent repeats of one Idempotency-Key share an id). */
  private readonly streams = new Map<string, Set<SseAnswer>>();
  readonly counters: FrontDoorCounters = { answered: 0, failed: 0, replayed: 0 };

  constructor(private readonly options: FrontDoorOptions) {
    // One listener for every stream: the attempt about to produce text names its arm and model.
    options.events?.subscribe((event) => {
      if (event.type !== 'attempt.started') return;
      this.streams.get(event.requestId)?.forEach((stream) => stream.attemptStarted(event.arm, event.model));
    });
  }

  /** One line for the start-up log. */
  describe(): string {
    const { mode, keys, defaultTenant } = this.options;
    if (mode === 'keys') return `on, ${keys.size} API key(s)`;
    if (mode === 'open') return `on without authentication (loopback only), tenant ${defaultTenant} unless a request names one`;
    return 'off (no FRONTDOOR_API_KEYS / FRONTDOOR_API_KEYS_FILE)';
  }

  /** Tenants this front door serves by configuration: its keys' tenants and the default tenant. */
  tenants(): string[] {
    return [...this.options.keys.tenantNames(), this.options.defaultTenant];
  }

  /** GET /v1/models */
  models(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.authenticate(req);
      writeJson(res, 200, modelList(this.options.catalog()));
    } catch (err) {
      this.writeError(res, err);
    }
  }

  /** Another method than `allow` on a front-door path: 405 with `Allow`, in OpenAI's error shape. */
  wrongMethod(req: IncomingMessage, res: ServerResponse, path: string, allow: string): void {
    if (this.options.mode === 'off') return this.writeError(res, frontDoorOff());
    const error = new OpenAiError(405, `${quoteInput(req.method ?? '?')} is not allowed on ${path}; use ${allow}`, 'invalid_request_error', 'method_not_allowed');
    // The body (if any) is not read: close the connection rather than leave it for the next request.
    writeJson(res, error.status, error.body(), { allow, connection: 'close' });
  }

  /** POST /v1/chat/completions */
  async chatCompletions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.serveChat(req, res);
    } catch (err) {
      this.writeError(res, err);
    }
  }

  private async serveChat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const tenant = this.authenticate(req);
    const { limits } = this.options;
    const json = parseJson(await readBody(req, limits.maxMessageBytes));
    // Before anything walks the body: a hostile nesting is refused, never followed down.
    if (jsonDepthExceeds(json, limits.maxJsonDepth)) throw OpenAiError.badRequest(depthMessage(limits.maxJsonDepth), null, 'request_too_large');
    const body = parseChatBody(json);
    const header = (name: string) => headerOf(req, name);
    const options = { ...optionsFromHeaders(header), ...body.switchyard };
    const target = resolveModel(body.model, this.options.catalog());
    const key = header('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw OpenAiError.badRequest('Idempotency-Key must be 1-128 printable ASCII characters without spaces', 'Idempotency-Key');
    }
    const id = key ?? `http-${randomUUID()}`;
    const input = toRequestV1(body, { id, tenant: tenant.name, tenantFromKey: tenant.fromKey, target, options });
    const decoded = validateRequest(input, limits);
    if (!decoded.ok) {
      const issue = decoded.issues?.[0];
      throw OpenAiError.badRequest(decoded.message, issue ? v1PathToParam(issue.path) : null, decoded.reason === 'limits' ? 'request_too_large' : 'invalid_value');
    }
    const request = decoded.request;
    const created = Math.floor(Date.now() / 1000);
    const stream = body.stream ? new SseAnswer(res, (model) => new ChunkBuilder(completionId(id), model, created), body.model, id) : undefined;
    if (stream) this.track(id, stream);
    let output;
    try {
      output = await this.options.pipeline.answer({
        request,
        parent: extractTraceContext(flatHeaders(req)),
        attributes: { 'http.request.method': 'POST', 'http.route': '/v1/chat/completions', 'switchyard.edge': 'http' },
        spanKind: SpanKind.SERVER,
        stream,
        onTrace: (traceId) => stream?.traced(traceId),
        remember: key !== undefined,
      });
    } finally {
      if (stream) this.untrack(id, stream);
    }
    const { answer, response, replayed, bodyMismatch } = output;
    if (answer.tenant !== request.tenant) {
      // Same key from another tenant: never hand one tenant another's answer.
      throw new OpenAiError(409, `Idempotency-Key "${id}" was already used by another tenant`, 'invalid_request_error', 'idempotency_key_conflict', 'Idempotency-Key');
    }
    if (bodyMismatch) {
      throw new OpenAiError(422, `Idempotency-Key "${id}" was already used with a different request body; use a new key for a new request`, 'invalid_request_error', 'idempotency_key_reused', 'Idempotency-Key');
    }
    if (replayed) this.counters.replayed++;
    else this.counters[response.status === 'ok' ? 'answered' : 'failed']++;
    const failure = response.status === 'ok' ? undefined : routeFailureToOpenAiError(response, { budgetRetryAfterS: this.options.budgetRetryAfterS?.(request.tenant) });
    if (stream) return stream.finish(response, failure, body.stream_options?.include_usage === true, this.logger);
    if (failure) throw failure;
    writeJson(res, 200, toChatCompletion(response, body.model, created), answerHeaders(response));
  }

  private track(id: string, stream: SseAnswer): void {
    let set = this.streams.get(id);
    if (!set) this.streams.set(id, (set = new Set()));
    set.add(stream);
  }

  private untrack(id: string, stream: SseAnswer): void {
    const set = this.streams.get(id);
    set?.delete(stream);
    if (set?.size === 0) this.streams.delete(id);
  }

  /** The tenant the request spends for; throws 401 (or 404 when the front door is off). */
  private authenticate(req: IncomingMessage): { name: string; fromKey: boolean } {
    const { mode, keys, defaultTenant } = this.options;
    if (mode === 'off') throw frontDoorOff();
    if (mode === 'open') return { name: defaultTenant, fromKey: false };
    const auth = headerOf(req, 'authorization');
    const bearer = auth?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!bearer) {
      throw new OpenAiError(401, "You didn't provide an API key. Send it as `Authorization: Bearer <key>`.", 'invalid_request_error', 'missing_api_key');
    }
    const tenant = keys.tenantOf(bearer);
    if (tenant === undefined) throw new OpenAiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    return { name: tenant, fromKey: true };
  }

  private writeError(res: ServerResponse, err: unknown): void {
    const error = err instanceof OpenAiError ? err : new OpenAiError(500, 'internal error in the Switchyard front door', 'server_error', 'internal_error');
    if (!(err instanceof OpenAiError)) this.logger.error(`front door: ${(err as Error)?.stack ?? String(err)}`);
    if (res.headersSent) {
      // A stream already under way: the error goes in the stream, as OpenAI sends it.
      if (!res.writableEnded) res.end(sseData(error.body()));
      return;
    }
    const headers: Record<string, string> = error.retryAfterS !== undefined ? { 'retry-after': String(error.retryAfterS) } : {};
    if (error.closeConnection) {
      headers.connection = 'close';
      res.once('finish', () => res.socket?.destroy());
    }
    writeJson(res, error.status, error.body(), headers);
  }
}

/**
 * A streamed answer on one HTTP response: headers (200, text/event-stream) go with the first piece
 * of text, so a request that fails before any text still gets its real status and error body.
 * The headers name the trace and the arm whose text comes first; each chunk's `model` is the model
 * of the attempt that produced it (a mid-stream switch changes it from that chunk on).
 */
class SseAnswer {
  private started = false;
  private streamed = '';
  private chunks: ChunkBuilder;
  private arm?: string;
  private model?: string;
  private traceId?: string;

  constructor(
    private readonly res: ServerResponse,
    private readonly chunksFor: (model: string) => ChunkBuilder,
    requestedModel: string,
    private readonly requestId: string,
  ) {
    this.chunks = chunksFor(requestedModel);
  }

  traced(traceId: string | undefined): void {
    this.traceId = traceId;
  }

  /** The next text comes from this arm and model (the router is about to call it). */
  attemptStarted(arm: string, model: string): void {
    this.arm = arm;
    if (model !== this.model) {
      this.model = model;
      this.chunks = this.chunksFor(model);
    }
  }

  text(delta: string): void {
    this.streamed += delta;
    this.write(this.start() + this.chunks.textEvent(delta));
  }

  /** Sends what the stream has not carried yet (a replayed answer, a provider without streaming), then the end. */
  finish(response: ResponseV1, failure: OpenAiError | undefined, includeUsage: boolean, logger: Logger): void {
    if (failure) {
      if (!this.started) throw failure;
      // Text went out and no arm could finish it: the stream ends with the error, without [DONE].
      this.res.end(sseData(failure.body()));
      return;
    }
    const text = response.output?.text ?? '';
    // Nothing streamed (a stored or cached answer, a provider without streaming): the answer says who.
    if (!this.started && response.servedBy) this.attemptStarted(response.servedBy.arm, response.servedBy.model);
    else if (!this.started && response.cache) this.attemptStarted(response.cache.arm, response.cache.model);
    this.traceId ??= response.traceId;
    let out = this.start();
    if (text.startsWith(this.streamed)) {
      if (text.length > this.streamed.length) out += this.chunks.textEvent(text.slice(this.streamed.length));
    } else {
      // Cannot happen with the router's streaming (the answer is what was streamed); say so if it does.
      logger.error(`request ${this.requestId}: the answer does not continue the streamed text; stream ended with an error`);
      this.res.end(sseData(new OpenAiError(502, 'the answer diverged from the streamed text', 'server_error', 'stream_diverged').body()));
      return;
    }
    const toolCalls = this.chunks.toolCalls(response);
    if (toolCalls) out += sseData(toolCalls);
    out += sseData(this.chunks.finish(response));
    if (includeUsage) out += sseData(this.chunks.usage(response));
    this.res.end(out + SSE_DONE);
  }

  /**
   * Sends the headers the first time and returns the role chunk to send with the first text:
   * one socket write for the first token (writes are the front door's main cost per stream).
   */
  private start(): string {
    if (this.started) return '';
    this.started = true;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-switchyard-request-id': this.requestId,
      ...(this.traceId ? { 'x-switchyard-trace-id': this.traceId } : {}),
      ...(this.arm ? { 'x-switchyard-arm': this.arm } : {}),
    });
    return sseData(this.chunks.role());
  }

  private write(text: string): void {
    // A client that went away: the answer is still finished (and stored), nothing more is written.
    if (!this.res.destroyed && !this.res.writableEnded) this.res.write(text);
  }
}

function frontDoorOff(): OpenAiError {
  return new OpenAiError(
    404,
    'The OpenAI-compatible front door is off: configure API keys (FRONTDOOR_API_KEYS or FRONTDOOR_API_KEYS_FILE), or set FRONTDOOR_ALLOW_UNAUTHENTICATED=true with a loopback HTTP_HOST',
    'invalid_request_error',
    'frontdoor_disabled',
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw OpenAiError.badRequest(`We could not parse the JSON body of your request: ${(err as Error).message}`, null, 'invalid_json');
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const v = headerOf(req, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function answerHeaders(response: ResponseV1): Record<string, string> {
  return {
    'x-switchyard-request-id': response.id,
    ...(response.servedBy ? { 'x-switchyard-arm': response.servedBy.arm } : {}),
    ...(response.servedFrom === 'cache' ? { 'x-switchyard-cache': `${response.cache!.kind}; age-ms=${response.cache!.ageMs}${response.cache!.lastResort ? '; last-resort' : ''}` } : {}),
    ...(response.traceId ? { 'x-switchyard-trace-id': response.traceId } : {}),
  };
}

function writeJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}
