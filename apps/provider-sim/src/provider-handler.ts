// Serves one provider call (and builds the answer for batch requests too): parse, look up the model, plan the outcome (fault-plan.ts), wait the
// sampled latency, respond (or reset / hang), and record the call exactly once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallLog, CallOutcome, CallRecord } from './call-log';
import type { StatsCounter } from './call-log';
import { generateText } from './completion-text';
import { planCall, type CallPlan } from './fault-plan';
import { BodyTooLargeError, headerValue, parseJson, readBody } from './http-io';
import type { Scenario } from './scenario';
import type { Completion, SimRequest } from './sim-request';
import { isSimError, nextId, SSE_HEADERS, streamPieces, type WireApi, type WireResponse } from './wire';
import type { StreamCutSetting } from './config-schema';
import { authSeen, checkAuth, checkBody, type StrictSettings } from './strict-mode';

export const HEADER_REQUEST_ID = 'x-switchyard-request-id';
export const HEADER_ATTEMPT = 'x-switchyard-attempt';
/** Forces one outcome for this call: ok | rate429 | error5xx | <status> | reset | hang | content_policy | truncate | auth | refused. */
export const HEADER_FORCE_FAULT = 'x-sim-fault';

function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** API key from `authorization: Bearer …` (OpenAI) or `x-api-key` (Anthropic). */
function apiKey(req: IncomingMessage): string | null {
  const direct = headerValue(req, 'x-api-key');
  if (direct) return direct;
  const auth = headerValue(req, 'authorization');
  if (auth && auth.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return null;
}

export class ProviderHandler {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly scenario: Scenario,
    private readonly log: CallLog,
    private readonly stats: StatsCounter,
    private readonly strict: StrictSettings = { strict: false },
  ) {}

  /** Cancels pending responses (server shutdown). */
  cancelAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  handle(wire: WireApi, req: IncomingMessage, res: ServerResponse): void {
    const arrived = performance.now();
    const at = Date.now();
    this.stats.enter();
    const requestId = headerValue(req, HEADER_REQUEST_ID);
    const attemptHeader = headerValue(req, HEADER_ATTEMPT);
    const attemptNum = attemptHeader === null ? NaN : Number(attemptHeader);
    const attempt = Number.isFinite(attemptNum) ? attemptNum : null;
    const rec: Pick<CallRecord, 'model' | 'inputTokens' | 'outputTokens' | 'sampledLatencyMs' | 'finishReason' | 'fault' | 'temperature' | 'topP' | 'stop' | 'jsonMode'> = {
      model: null, inputTokens: 0, outputTokens: 0, sampledLatencyMs: null, finishReason: null, fault: null, temperature: null, topP: null, stop: [], jsonMode: null,
    };
    const auth = authSeen(req);
    let done = false;
    let hanging = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (outcome: CallOutcome, status: number | null): boolean => {
      if (done) return false;
      done = true;
      if (timer) {
        clearTimeout(timer);
        this.timers.delete(timer);
        timer = undefined;
      }
      const record: Omit<CallRecord, 'seq'> = {
        at, api: wire.api, model: rec.model, requestId, attempt, outcome, status,
        latencyMs: round2(performance.now() - arrived),
        sampledLatencyMs: rec.sampledLatencyMs, inputTokens: rec.inputTokens, outputTokens: rec.outputTokens,
        finishReason: rec.finishReason, fault: rec.fault,
        auth, temperature: rec.temperature, topP: rec.topP, stop: rec.stop, jsonMode: rec.jsonMode,
      };
      this.stats.exit(record);
      this.log.add(record);
      return true;
    };

    const send = (r: WireResponse): void => {
      if (!finish(r.status === 200 ? 'ok' : (String(r.status) as CallOutcome), r.status)) return;
      const headers = r.headers;
      headers['content-length'] = String(Buffer.byteLength(r.body));
      if (wire.api === 'openai') headers['openai-processing-ms'] = String(Math.round(performance.now() - arrived));
      res.writeHead(r.status, headers);
      res.end(r.body);
    };

    const reset = (): void => {
      if (finish('reset', null)) req.socket.resetAndDestroy();
    };

    const later = (ms: number, fn: () => void): void => {
      if (!(ms > 0)) return fn();
      const t = setTimeout(() => {
        this.timers.delete(t);
        timer = undefined;
        fn();
      }, ms);
      timer = t;
      this.timers.add(t);
    };

    /**
     * The answer as server-sent events: the first piece now (after the sampled latency), then one
     * piece per `tokenIntervalMs`; a `streamCut` fault breaks off after its number of pieces.
     */
    const streamAnswer = (completion: Completion, cut: Exclude<StreamCutSetting, false> | undefined, intervalMs: number, includeUsage: boolean): void => {
      if (done) return;
      const pieces = streamPieces(completion.toolCall ? completion.toolCall.arguments : completion.text);
      const breakAt = cut && pieces.length > cut.afterTokens ? cut.afterTokens : undefined;
      res.writeHead(200, { ...SSE_HEADERS, ...(wire.api === 'openai' ? { 'x-request-id': nextId('req_') } : { 'request-id': nextId('req_') }) });
      res.write(wire.streamOpen(completion));
      let i = 0;
      const next = (): void => {
        while (!done && !res.destroyed) {
          if (i === breakAt) {
            rec.fault = `streamCut:${cut!.mode}`;
            if (cut!.mode === 'stall') {
              hanging = true;
              return;
            }
            // Closed after what was written is flushed: the client reads the pieces, then a broken body.
            if (finish('reset', 200)) req.socket.end();
            return;
          }
          if (i === pieces.length) {
            if (finish('ok', 200)) res.end(wire.streamClose(completion, includeUsage));
            return;
          }
          res.write(wire.streamText(completion, pieces[i++]));
          if (intervalMs > 0 && i < pieces.length) return later(intervalMs, next);
        }
      };
      next();
    };

    res.on('close', () => {
      if (!done) finish(hanging ? 'hang' : 'aborted', null);
    });

    readBody(req).then(
      (text) => {
        if (done) return;
        const parsed = parseJson(text);
        // The real APIs authenticate before they read the body.
        const refused = checkAuth(wire.api, req, this.strict);
        if (refused) {
          rec.fault = refused.fault;
          return send(wire.error(refused.error, refused.status));
        }
        if (parsed === undefined) return send(wire.error({ kind: 'invalid_json' }, 400));
        const strictError = checkBody(wire.api, parsed, this.strict);
        if (strictError) {
          rec.fault = 'strict_body';
          return send(wire.error(strictError, 400));
        }
        const request = wire.parseRequest(parsed);
        if (isSimError(request)) return send(wire.error(request, 400));
        rec.model = request.model;
        rec.inputTokens = request.inputTokens;
        rec.temperature = request.temperature ?? null;
        rec.topP = request.topP ?? null;
        rec.stop = request.stop;
        rec.jsonMode = request.forcedTool !== undefined ? 'forced_tool' : request.json ? 'response_format' : null;
        const live = this.scenario.find(wire.api, request.model);
        if (!live) return send(wire.error({ kind: 'model_not_found', model: request.model }, 404));
        const key = apiKey(req);
        if (!key || key.includes('invalid')) {
          rec.fault = 'invalid_api_key';
          return send(wire.error({ kind: 'auth' }, 401));
        }
        const plan = planCall(live, request, this.scenario.latencyScale, headerValue(req, HEADER_FORCE_FAULT) ?? undefined);
        rec.sampledLatencyMs = round2(plan.sampledLatencyMs);
        rec.fault = plan.fault;
        switch (plan.kind) {
          case 'refuse':
            return reset();
          case 'error':
            return later(plan.delayMs, () => send(wire.error(plan.error, plan.status)));
          case 'reset':
            return later(plan.delayMs, reset);
          case 'hang':
            hanging = true;
            return;
          case 'complete': {
            // Drawn only for streamed calls of a model with a streamCut fault, so every other call's draws stay as they were.
            const setting = live.spec.faults.streamCut;
            const cut = request.stream && setting !== false && live.rng() < (setting.p ?? 1) ? setting : undefined;
            return later(plan.delayMs, () => {
              const completion = buildCompletion(wire, live.spec.responseModel ?? live.spec.name, request, plan);
              rec.outputTokens = completion.outputTokens;
              rec.finishReason = wire.finishLabel(completion.finish);
              if (request.stream) streamAnswer(completion, cut, (live.spec.latency.tokenIntervalMs ?? 0) * this.scenario.latencyScale, request.includeUsage === true);
              else send(wire.completion(completion));
            });
          }
        }
      },
      (err: unknown) => {
        if (done) return;
        if (err instanceof BodyTooLargeError) {
          send(wire.error({ kind: 'bad_request', message: err.message, param: null, code: 'request_too_large' }, 413));
        } else {
          finish('aborted', null);
        }
      },
    );
  }
}

export function buildCompletion(
  wire: WireApi,
  model: string,
  request: SimRequest,
  plan: Extract<CallPlan, { kind: 'complete' }>,
): Completion {
  const id = nextId(wire.api === 'openai' ? 'chatcmpl-' : 'msg_01');
  if (plan.finish === 'content_filter') {
    return { id, model, text: '', finish: 'content_filter', stopSequence: null, inputTokens: request.inputTokens, outputTokens: 0 };
  }
  if (request.forcedTool !== undefined && (plan.finish === 'stop' || plan.finish === 'length')) {
    // Forced tool use (Anthropic JSON mode): the answer is that tool's input, a JSON object.
    const generated = generateText(model, request.prompt, plan.outputTokens, request.stop);
    const toolCall = { id: nextId('toolu_01'), name: request.forcedTool, arguments: JSON.stringify({ answer: generated.text }) };
    return { id, model, text: '', finish: plan.finish === 'length' ? 'length' : 'tool_calls', stopSequence: null, inputTokens: request.inputTokens, outputTokens: generated.tokens, toolCall };
  }
  if (request.tools?.length && !request.toolTurn && plan.finish === 'stop') {
    // Tools offered and no tool result yet: call the first one, arguments derived from the prompt.
    const query = generateText(model, request.prompt, 3).text;
    const toolCall = { id: nextId(wire.api === 'openai' ? 'call_' : 'toolu_01'), name: request.tools[0], arguments: JSON.stringify({ query }) };
    return { id, model, text: '', finish: 'tool_calls', stopSequence: null, inputTokens: request.inputTokens, outputTokens: 5, toolCall };
  }
  const generated = generateText(model, request.prompt, plan.outputTokens, request.stop);
  // JSON when JSON was asked for, unless the invalidJson fault says this answer is prose.
  const text = request.json && !plan.invalidJson ? JSON.stringify({ answer: generated.text }) : generated.text;
  return {
    id,
    model,
    text,
    finish: generated.stopSequence !== null ? 'stop_sequence' : plan.finish,
    stopSequence: generated.stopSequence,
    inputTokens: request.inputTokens,
    outputTokens: generated.tokens,
  };
}
