// One OpenAI-style chat completion sent to a peer over HTTP, as a client would: the request both
// peers receive, the fields every peer's call result has, and the transport (timing, JSON
// parsing, client timeout vs. connection failure) in one place so both peers are measured alike.
// Each peer's module maps the response to its own result (its headers and error shapes differ).

/** The request header that carries our request id; both peers forward it to the provider. */
export const REQUEST_ID_HEADER = 'x-switchyard-request-id';

/** What a client asks a peer for. */
export interface PeerRequest {
  requestId: string;
  prompt: string;
  maxTokens: number;
  /** Client deadline for the whole request (the class deadline in the live benchmark). */
  timeoutMs: number;
}

/** What every peer's call result says. */
export interface PeerCallResult {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  /** The simulator model that answered, or null. */
  servedModel: string | null;
  inputTokens: number;
  outputTokens: number;
  finishReason: string | null;
  /** The peer's or provider's error type, `timeout` (client deadline) or `connection`. */
  errorType: string | null;
  error: string | null;
  retries: number | null;
}

/** The OpenAI chat completion body, and the error body the peers answer with. */
export interface ChatBody {
  choices?: { finish_reason?: string | null; message?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  model?: string;
  error?: { message?: string; type?: string | null; code?: string | number | null };
}

/** The fields of a call's result that every peer reports the same way. */
export type ChatResult = Omit<PeerCallResult, 'servedModel' | 'retries'>;

/** A response the peer sent: its body (parsed when JSON, else `{}`) and, for a failure, the whole error message. */
export interface ChatReply<B extends ChatBody> {
  res: Response;
  body: B;
  /** Unset for a success. */
  message?: string;
}

/**
 * POSTs `{ model, messages: [prompt], max_tokens }` to `<url>/v1/chat/completions` with the request
 * id header (plus `headers`) and the client deadline; never throws. A success is a 2xx with a
 * choice; a failure's errorType is error.type (or error.code, or `http_<status>`) and its message
 * error.message, else `errorMessage(body)`, else the raw text; no response is `timeout` (client
 * deadline) or `connection`. `extend` adds the peer's own fields (`reply` is unset without a response).
 */
export async function postChat<B extends ChatBody, R>(
  url: string,
  req: PeerRequest & { model: string; headers: Record<string, string>; errorMessage?(body: B): string | undefined },
  extend: (result: ChatResult, reply?: ChatReply<B>) => R,
): Promise<R> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [REQUEST_ID_HEADER]: req.requestId, ...req.headers },
      body: JSON.stringify({ model: req.model, messages: [{ role: 'user', content: req.prompt }], max_tokens: req.maxTokens }),
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    const raw = await res.text();
    const latencyMs = performance.now() - t0;
    let body = {} as B;
    try {
      body = JSON.parse(raw) as B;
    } catch {
      // not JSON (a crash page, or the gateway's "Message: fetch failed" text): the raw text is the error
    }
    const common = { status: res.status, latencyMs, inputTokens: 0, outputTokens: 0, finishReason: null };
    const choice = body.choices?.[0];
    if (res.ok && choice) {
      return extend(
        { ...common, ok: true, inputTokens: body.usage?.prompt_tokens ?? 0, outputTokens: body.usage?.completion_tokens ?? 0, finishReason: choice.finish_reason ?? null, errorType: null, error: null },
        { res, body },
      );
    }
    const err = body.error;
    const message = err?.message ?? req.errorMessage?.(body) ?? raw;
    const errorType = err?.type ?? (err?.code != null ? String(err.code) : `http_${res.status}`);
    return extend({ ...common, ok: false, errorType, error: message.slice(0, 500) }, { res, body, message });
  } catch (e) {
    const err = e as Error;
    const timeout = err.name === 'TimeoutError' || err.name === 'AbortError';
    return extend({
      ok: false,
      status: null,
      latencyMs: performance.now() - t0,
      inputTokens: 0,
      outputTokens: 0,
      finishReason: null,
      errorType: timeout ? 'timeout' : 'connection',
      error: String(err.cause ?? err.message).slice(0, 500),
    });
  }
}

/** A numeric response header, or null when absent, empty or not a number. */
export function numHeader(h: Headers, name: string): number | null {
  const v = h.get(name);
  return v === null || v === '' || !Number.isFinite(Number(v)) ? null : Number(v);
}
