import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * HTTP transport shared by every SDK client of one endpoint.
 *
 * - One keep-alive undici `Agent` per endpoint (per distinct connect timeout, in practice one),
 *   with no cap on sockets: the router keeps hundreds of calls in flight.
 * - A real connect timeout (`arm.timeouts.connectMs`) through the Agent's `connect.timeout`; undici
 *   fails such a connect with `UND_ERR_CONNECT_TIMEOUT`, which we classify as `timeout_connect`.
 * - A call that reads its reply whole (every non-streamed call) goes through undici's `request()`
 *   on the same pool and hands the SDK a buffered reply; streamed calls use `fetch`. Same HTTP,
 *   about half the CPU of a provider call (see `bufferedFetch`).
 * - Per-call bookkeeping (through AsyncLocalStorage, so one SDK client serves concurrent calls):
 *   how many HTTP requests went out, whether the request ever reached a connected socket, the raw
 *   transport error and the raw error body. The SDKs drop some of that (the Anthropic SDK throws
 *   `APIConnectionTimeoutError` without a cause; the OpenAI SDK hides non-`{error:…}` bodies such as
 *   vLLM's), and classification needs it.
 *
 * undici: the npm `undici` package is used when it is installed. Otherwise we use the undici that
 * Node bundles behind the global `fetch`: its `Agent` class is reachable as the constructor of the
 * global dispatcher (`Symbol.for('undici.globalDispatcher.1')`, undici's documented cross-version
 * slot). If neither is available (a non-Node runtime, or a global proxy dispatcher installed), calls
 * use the global dispatcher and a connect watchdog (see `ConnectWatchdog` in call-runner.ts) enforces
 * the connect timeout instead.
 */

/** The part of an undici Dispatcher we use. */
export interface DispatcherLike {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export interface UndiciAgentOptions {
  connect?: { timeout?: number };
  keepAliveTimeout?: number;
  keepAliveMaxTimeout?: number;
  headersTimeout?: number;
  bodyTimeout?: number;
  connections?: number | null;
}

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The part of undici's body (a Node `Readable`) the buffered and streamed paths use. */
export interface RequestBody extends AsyncIterable<Uint8Array> {
  arrayBuffer(): Promise<ArrayBuffer>;
  destroy(error?: Error): unknown;
}

/** The part of undici's `request()` API (not WHATWG fetch) the buffered and streamed paths use. */
export type RequestFn = (
  url: URL,
  options: { method: string; headers?: unknown; body?: string | Uint8Array | null; signal?: AbortSignal | null; dispatcher: DispatcherLike },
) => Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: RequestBody }>;

export interface UndiciRuntime {
  Agent: new (options: UndiciAgentOptions) => DispatcherLike;
  fetch: FetchFn;
  /** npm undici only: the buffered and streamed paths (calls that are not uploads). */
  request?: RequestFn;
  source: 'undici' | 'node-bundled';
}

let cachedRuntime: UndiciRuntime | null | undefined;

/** Finds an undici `Agent` + matching `fetch`; `null` when none is usable. */
export function resolveUndiciRuntime(): UndiciRuntime | null {
  if (cachedRuntime !== undefined) return cachedRuntime;
  cachedRuntime = loadNpmUndici() ?? loadNodeBundledUndici();
  return cachedRuntime;
}

function loadNpmUndici(): UndiciRuntime | null {
  try {
    // A dependency in package.json; required lazily so the providers library also runs without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const undici = require('undici') as { Agent?: UndiciRuntime['Agent']; fetch?: FetchFn; request?: RequestFn };
    if (typeof undici.Agent === 'function' && typeof undici.fetch === 'function') {
      return { Agent: undici.Agent, fetch: undici.fetch, request: typeof undici.request === 'function' ? undici.request : undefined, source: 'undici' };
    }
  } catch {
    // not installed
  }
  return null;
}

function loadNodeBundledUndici(): UndiciRuntime | null {
  try {
    if (typeof globalThis.fetch !== 'function') return null;
    const slot = Symbol.for('undici.globalDispatcher.1');
    const globals = fetchRealmGlobal();
    if (globals[slot] === undefined) {
      // Node loads its bundled undici, and creates the global Agent, on the first fetch() call;
      // a data: URL does that without any network I/O.
      void globalThis.fetch('data:,').catch(() => undefined);
    }
    const dispatcher = globals[slot] as { constructor?: { name?: string } } | undefined;
    const ctor = dispatcher?.constructor;
    // Only a plain Agent: if someone installed a ProxyAgent/EnvHttpProxyAgent we must not guess
    // its constructor options.
    if (typeof ctor === 'function' && ctor.name === 'Agent') {
      return {
        Agent: ctor as unknown as UndiciRuntime['Agent'],
        fetch: globalThis.fetch.bind(globalThis),
        source: 'node-bundled',
      };
    }
  } catch {
    // fall through
  }
  return null;
}

/**
 * The global object of the realm that owns `fetch`, where undici keeps its global dispatcher.
 * Normally that is `globalThis`; inside a vm context (Jest's node environment) `fetch` comes from
 * the outer realm, whose global is reachable through that realm's own Function constructor.
 */
function fetchRealmGlobal(): Record<symbol, unknown> {
  const own = globalThis as unknown as Record<symbol, unknown>;
  try {
    const FetchRealmFunction = (globalThis.fetch as unknown as { constructor: FunctionConstructor }).constructor;
    if (FetchRealmFunction !== Function) {
      return FetchRealmFunction('return globalThis')() as Record<symbol, unknown>;
    }
  } catch {
    // code generation from strings disallowed: stay with our own global
  }
  return own;
}

/** What one provider call learned about its HTTP request(s). */
export interface CallTransportState {
  /** Dispatcher (connection pool) this call must use. */
  dispatcher?: DispatcherLike;
  /** fetch() invocations: must stay at 1 (no hidden SDK retries). */
  requests: number;
  /** undici created the request (diagnostics channel); tells the watchdog the channel works. */
  created: boolean;
  /** The request was written to a connected socket: the connect phase is over. */
  connected: boolean;
  /** Raw error thrown by fetch (before the SDK wraps it). */
  transportError?: unknown;
  /** HTTP status and raw body (truncated) of a non-2xx answer. */
  errorStatus?: number;
  errorBody?: string;
  /** Called when the request reaches a connected socket. */
  onConnected?: () => void;
  /**
   * The caller reads the whole reply at once (not a stream), so the transport may read it with
   * undici's `request()` and hand the SDK a buffered `Response`: the same HTTP exchange without the
   * WHATWG fetch machinery (Request objects, web streams, signal following): about half of a
   * provider call's CPU on a fast provider.
   */
  buffered?: boolean;
  /**
   * The caller reads the reply as a stream of server-sent events: the transport may send it with
   * undici's `request()` and hand the SDK the body as a Node stream (both SDKs iterate any async
   * iterable body) instead of a WHATWG `Response` over a web stream. The same HTTP exchange without
   * the fetch machinery between each piece the provider sends and the SDK's event parser.
   */
  streamed?: boolean;
}

const callStorage = new AsyncLocalStorage<CallTransportState>();

export function newCallTransportState(dispatcher?: DispatcherLike, buffered = false, streamed = false): CallTransportState {
  return { dispatcher, requests: 0, created: false, connected: false, buffered, streamed };
}

export function runWithCallState<T>(state: CallTransportState, fn: () => Promise<T>): Promise<T> {
  return callStorage.run(state, fn);
}

// undici publishes request life-cycle events on diagnostics channels (both the npm package and the
// copy bundled in Node). `request:create` runs synchronously inside fetch(), so the call's
// AsyncLocalStorage context is current; `client:sendHeaders` means the request is on a connected
// socket. A WeakMap ties the two, whatever async context the socket callback runs in.
const stateByRequest = new WeakMap<object, CallTransportState>();
let channelsInstalled = false;

function installChannels(): void {
  if (channelsInstalled) return;
  channelsInstalled = true;
  diagnosticsChannel.subscribe('undici:request:create', (message) => {
    const request = (message as { request?: object }).request;
    const state = callStorage.getStore();
    if (request && state) {
      state.created = true;
      stateByRequest.set(request, state);
    }
  });
  diagnosticsChannel.subscribe('undici:client:sendHeaders', (message) => {
    const request = (message as { request?: object }).request;
    const state = request ? stateByRequest.get(request) : undefined;
    if (state && !state.connected) {
      state.connected = true;
      state.onConnected?.();
    }
  });
}

const MAX_ERROR_BODY_CHARS = 4096;

/** Statuses a `Response` must have no body for. */
const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/**
 * A multipart body (the OpenAI Files upload of a batch) encoded to bytes with its boundary header:
 * the SDK builds it with the global FormData, which the undici package's fetch does not recognise
 * (it would send "[object FormData]" as text/plain).
 */
async function encodeFormData(init: RequestInit | undefined): Promise<RequestInit | undefined> {
  if (!init?.body || Object.prototype.toString.call(init.body) !== '[object FormData]') return init;
  const encoded = new Response(init.body);
  const headers = new Headers(init.headers);
  headers.set('content-type', encoded.headers.get('content-type') ?? 'multipart/form-data');
  return { ...init, headers, body: new Uint8Array(await encoded.arrayBuffer()) };
}

/** A string or byte body to a URL: what the buffered path can send (anything else goes through fetch). */
function isPlainRequest(input: string | URL | Request, init: RequestInit | undefined): input is string | URL {
  if (typeof input !== 'string' && !(input instanceof URL)) return false;
  const body = init?.body;
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

/**
 * What the SDKs read of a successful, non-streamed reply, without the cost of a WHATWG `Response`
 * (its constructor validates every header and wraps the body in a web stream: about a tenth of a
 * fast provider call's CPU). Unit and end-to-end tests run both SDKs through it.
 */
class BufferedResponse {
  readonly ok = true;
  readonly redirected = false;
  readonly type = 'basic';
  readonly statusText = '';
  readonly headers: ReadonlyHeaders;
  private used = false;
  private stream: ReadableStream<Uint8Array> | null | undefined;

  constructor(
    readonly status: number,
    headers: Record<string, string | string[] | undefined>,
    private readonly content: ArrayBuffer,
    readonly url: string,
  ) {
    this.headers = new ReadonlyHeaders(headers);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** A web stream of the bytes, made the first time someone asks for it. */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.stream !== undefined) return this.stream;
    if (NULL_BODY_STATUS.has(this.status)) return (this.stream = null);
    const bytes = new Uint8Array(this.content);
    this.stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    return this.stream;
  }

  private take(): ArrayBuffer {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    return this.content;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.take();
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(this.take());
  }

  async text(): Promise<string> {
    return Buffer.from(this.take()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  clone(): BufferedResponse {
    if (this.used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedResponse(this.status, this.headers.raw, this.content, this.url);
  }
}

/**
 * What the SDKs read of a successful streamed reply: status, headers and the body as undici's Node
 * stream, which both SDKs' event parsers iterate directly (they take any async iterable), so each
 * piece from the provider reaches the parser without a web stream in between. Aborting the call's
 * signal destroys the body (undici does that), which ends the SDK's iteration.
 */
class StreamedResponse {
  readonly ok = true;
  readonly redirected = false;
  readonly type = 'basic';
  readonly statusText = '';
  readonly headers: ReadonlyHeaders;
  private used = false;

  constructor(
    readonly status: number,
    headers: Record<string, string | string[] | undefined>,
    private readonly stream: RequestBody,
    readonly url: string,
  ) {
    this.headers = new ReadonlyHeaders(headers);
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  get body(): RequestBody {
    this.used = true;
    return this.stream;
  }

  private take(): RequestBody {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    return this.stream;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.take().arrayBuffer();
  }

  async text(): Promise<string> {
    return Buffer.from(await this.arrayBuffer()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}

/** The read side of `Headers` over undici's lower-cased header record. */
class ReadonlyHeaders {
  constructor(readonly raw: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    const value = this.raw['set-cookie'];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw).sort()) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  keys(): IterableIterator<string> {
    return [...this.entries()].map(([name]) => name)[Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return [...this.entries()].map(([, value]) => value)[Symbol.iterator]();
  }

  forEach(fn: (value: string, name: string, headers: ReadonlyHeaders) => void): void {
    for (const [name, value] of this.entries()) fn(value, name, this);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** undici's header record (repeated headers as arrays) as `Response` init. */
function responseHeaders(raw: Record<string, string | string[] | undefined>): [string, string][] {
  const out: [string, string][] = [];
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, v]);
    else out.push([name, value]);
  }
  return out;
}

export interface EndpointTransportOptions {
  /** Injected for tests; defaults to `resolveUndiciRuntime()`. `null` forces the no-Agent fallback. */
  runtime?: UndiciRuntime | null;
  keepAliveTimeoutMs?: number;
}

/** One per endpoint: the `fetch` handed to the SDK client, and its connection pools. */
export class EndpointTransport {
  private readonly runtime: UndiciRuntime | null;
  private readonly agents = new Map<number, DispatcherLike>();
  private readonly keepAliveTimeoutMs: number;

  constructor(options: EndpointTransportOptions = {}) {
    this.runtime = options.runtime === undefined ? resolveUndiciRuntime() : options.runtime;
    this.keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 30_000;
    installChannels();
  }

  /** True when connect timeouts are enforced by an undici Agent (else: by the watchdog). */
  get hasAgent(): boolean {
    return this.runtime !== null;
  }

  get runtimeSource(): UndiciRuntime['source'] | 'global-fetch' {
    return this.runtime?.source ?? 'global-fetch';
  }

  /** The keep-alive pool for a connect timeout; arms of one endpoint normally share one. */
  dispatcherFor(connectMs: number): DispatcherLike | undefined {
    if (!this.runtime) return undefined;
    const key = Math.max(1, Math.round(connectMs));
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new this.runtime.Agent({
        connect: { timeout: key },
        keepAliveTimeout: this.keepAliveTimeoutMs,
        keepAliveMaxTimeout: 10 * 60_000,
        // The call's total timeout (SDK timeout + our own timer) bounds headers and body; undici's
        // own 300 s defaults would only get in the way of a longer arm timeout.
        headersTimeout: 0,
        bodyTimeout: 0,
        // No per-origin socket cap (undici default): hundreds of concurrent calls per endpoint.
        connections: null,
      });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Handed to the SDK as its `fetch`. */
  readonly fetch: FetchFn = async (input, rawInit) => {
    const init = await encodeFormData(rawInit);
    const state = callStorage.getStore();
    const baseFetch = this.runtime?.fetch ?? globalThis.fetch.bind(globalThis);
    if (state) state.requests += 1;
    const dispatcher = state?.dispatcher;
    const request = this.runtime?.request;
    if ((state?.buffered || state?.streamed) && dispatcher && request && isPlainRequest(input, init)) return this.requestFetch(request, input, init, dispatcher, state);
    const requestInit = dispatcher ? ({ ...init, dispatcher } as RequestInit) : init;
    let response: Response;
    try {
      response = await baseFetch(input, requestInit);
    } catch (error) {
      if (state) state.transportError = error;
      throw error;
    }
    if (state && !response.ok) {
      state.errorStatus = response.status;
      try {
        state.errorBody = (await response.clone().text()).slice(0, MAX_ERROR_BODY_CHARS);
      } catch {
        // body unreadable (aborted): the SDK will surface that itself
      }
    }
    return response;
  };

  /**
   * One request through undici's `request()` on the call's pool, returned as a `Response` the SDK
   * reads as it would read fetch's: the body read whole (`state.buffered`), or handed over as the
   * Node stream it is (`state.streamed`). Failures look like fetch's, so the SDKs and our
   * classification see the same thing: an abort rejects with the signal's reason (undici does that
   * itself), anything else with `TypeError('fetch failed', { cause })`.
   */
  private async requestFetch(request: RequestFn, input: string | URL, init: RequestInit | undefined, dispatcher: DispatcherLike, state: CallTransportState): Promise<Response> {
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let body: ArrayBuffer | undefined;
    let stream: RequestBody | undefined;
    const signal = init?.signal ?? undefined;
    let onAbort: (() => void) | undefined;
    try {
      const url = typeof input === 'string' ? new URL(input) : input;
      const exchange = (async () => {
        const res = await request(url, {
          method: init?.method ?? 'GET',
          headers: init?.headers,
          body: (init?.body as string | Uint8Array | null | undefined) ?? null,
          signal,
          dispatcher,
        });
        const ok = res.statusCode >= 200 && res.statusCode <= 299;
        // A streamed success is read by the SDK as it arrives; everything else is read whole here.
        if (ok && state.streamed && !state.buffered) return { res, stream: res.body };
        return { res, bytes: await res.body.arrayBuffer() };
      })();
      // undici's request() honours an abort only once it has a socket; fetch rejects at once, even
      // while connecting, and the call's timeouts rely on that.
      const aborted = signal
        ? new Promise<never>((_, reject) => {
            onAbort = () => reject(signal.reason);
            if (signal.aborted) onAbort();
            else signal.addEventListener('abort', onAbort, { once: true });
          })
        : undefined;
      if (aborted) exchange.catch(() => undefined);
      const result = aborted ? await Promise.race([exchange, aborted]) : await exchange;
      status = result.res.statusCode;
      headers = result.res.headers;
      body = result.bytes;
      stream = result.stream;
    } catch (error) {
      const failure = signal?.aborted && error === signal.reason ? error : new TypeError('fetch failed', { cause: error });
      state.transportError = failure;
      throw failure;
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    const url = typeof input === 'string' ? input : input.href;
    if (stream) return new StreamedResponse(status, headers, stream, url) as unknown as Response;
    const bytes = body ?? new ArrayBuffer(0);
    if (status < 200 || status > 299) {
      state.errorStatus = status;
      state.errorBody = Buffer.from(bytes).toString('utf8', 0, Math.min(bytes.byteLength, MAX_ERROR_BODY_CHARS * 4)).slice(0, MAX_ERROR_BODY_CHARS);
      // An error answer is rare and goes through the SDKs' error paths (cancel the body stream, read
      // it for the message): a full `Response`. A success is read once, as text or JSON: the light one.
      return new Response(NULL_BODY_STATUS.has(status) ? null : bytes, { status, headers: responseHeaders(headers) });
    }
    return new BufferedResponse(status, headers, bytes, url) as unknown as Response;
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((agent) => agent.destroy().catch(() => undefined)));
  }
}
