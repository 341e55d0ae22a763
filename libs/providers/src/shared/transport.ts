import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * HTTP transport shared by every SDK client of one endpoint.
 *
 * - One keep-alive undici `Agent` per endpoint (per distinct connect timeout, in practice one),
 *   with no cap on sockets: the router keeps hundreds of calls in flight.
 * - A real connect timeout (`arm.timeouts.connectMs`) through the Agent's `connect.timeout`; undici
 *   fails such a connect with `UND_ERR_CONNECT_TIMEOUT`, which we classify as `timeout_connect`.
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

export interface UndiciRuntime {
  Agent: new (options: UndiciAgentOptions) => DispatcherLike;
  fetch: FetchFn;
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
    // Optional dependency: not in package.json today (see the providers report).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const undici = require('undici') as { Agent?: UndiciRuntime['Agent']; fetch?: FetchFn };
    if (typeof undici.Agent === 'function' && typeof undici.fetch === 'function') {
      return { Agent: undici.Agent, fetch: undici.fetch, source: 'undici' };
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
}

const callStorage = new AsyncLocalStorage<CallTransportState>();

export function newCallTransportState(dispatcher?: DispatcherLike): CallTransportState {
  return { dispatcher, requests: 0, created: false, connected: false };
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
  readonly fetch: FetchFn = async (input, init) => {
    const state = callStorage.getStore();
    const baseFetch = this.runtime?.fetch ?? globalThis.fetch.bind(globalThis);
    if (state) state.requests += 1;
    const dispatcher = state?.dispatcher;
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

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((agent) => agent.destroy().catch(() => undefined)));
  }
}
