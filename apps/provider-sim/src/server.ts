// startProviderSim(): the HTTP server (plain node:http) that routes provider calls, model listings
// and the /_sim control API.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog, StatsCounter, type CallRecord, type SimStats } from './call-log';
import { normalizeConfig, parseModelPatch, readConfigFile } from './config-loader';
import { DEFAULT_CONFIG } from './config-defaults';
import type { ApiKind, ModelPatch, ModelSpec, SimConfig, SimConfigInput } from './config-schema';
import { anthropicWire } from './anthropic-wire';
import { BatchApis, type BatchSummary } from './batch-apis';
import type { BatchSettings, BatchSettingsInput } from './batch-settings';
import { handleControl, type ControlDeps } from './control-api';
import { embeddingsResponse, type EmbeddingsBody } from './embeddings';
import { parseJson, readBody, sendJson } from './http-io';
import { openaiWire } from './openai-wire';
import { ProviderHandler } from './provider-handler';
import { Scenario, type Clock } from './scenario';
import type { WireApi } from './wire';

export interface ProviderSimOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** Config object (as in a config file); wins over `configPath`. Defaults to the built-in models. */
  config?: SimConfigInput;
  /** Path of a YAML or JSON config file. */
  configPath?: string;
  /** Overrides the config's seed. */
  seed?: number;
  /** Multiplies every latency (0 = instant); overrides the config's latencyScale. */
  latencyScale?: number;
  /** Ring-buffer size for recorded calls (default 200,000). */
  callLogCapacity?: number;
  /** Clock for the phase schedule (ms, monotonic); defaults to performance.now. */
  clock?: Clock;
  /** As strict as the real APIs (documented auth headers, no unknown body fields); overrides the config's (default true). */
  strict?: boolean;
  /** With strict: the only API keys accepted; overrides the config's. */
  apiKeys?: string[];
  /** Batch APIs: completion-time distribution and injected failures (batch-settings.ts). */
  batch?: BatchSettingsInput;
}

export interface ProviderSim {
  url: string;
  port: number;
  host: string;
  /** baseURL for `new OpenAI({ baseURL })`. */
  openaiBaseURL: string;
  /** baseURL for `new Anthropic({ baseURL })`. */
  anthropicBaseURL: string;
  /** Programmatic equivalents of the control API. */
  calls(since?: number): CallRecord[];
  /** Embeddings requests served so far (not in `calls()`: they are not chat calls). */
  embeddingCalls(): number;
  clearCalls(): void;
  stats(): SimStats;
  resetPeak(): void;
  patchModel(name: string, patch: ModelPatch, api?: ApiKind): ModelSpec[];
  setConfig(config: SimConfigInput): void;
  reset(): void;
  config(): SimConfig;
  /** Batches of both batch APIs, newest last; `forceBatch` ends one now (control API equivalents). */
  batches(api?: ApiKind): BatchSummary[];
  forceBatch(id: string, how: 'complete' | 'expire' | 'fail'): BatchSummary | undefined;
  setBatchSettings(input: BatchSettingsInput): BatchSettings;
  close(): Promise<void>;
}

export function resolveConfig(options: ProviderSimOptions): SimConfig {
  const raw = options.config ?? (options.configPath ? readConfigFile(options.configPath) : DEFAULT_CONFIG);
  return normalizeConfig(raw, {
    seed: options.seed,
    latencyScale: options.latencyScale,
    callLogCapacity: options.callLogCapacity,
    strict: options.strict,
    apiKeys: options.apiKeys,
  });
}

/** POST /openai/v1/embeddings: deterministic vectors (embeddings.ts), OpenAI's error shape for a bad body. */
async function handleEmbeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = parseJson(await readBody(req)) as EmbeddingsBody | undefined;
    const result = embeddingsResponse(body ?? {});
    if (result.ok) return sendJson(res, 200, result.json);
    sendJson(res, 400, { error: { message: result.message, type: 'invalid_request_error', param: result.param, code: null } });
  } catch (err) {
    sendJson(res, 400, { error: { message: `invalid body: ${(err as Error).message}`, type: 'invalid_request_error', param: null, code: null } });
  }
}

function wireFor(path: string): WireApi | undefined {
  return path.startsWith('/openai/') ? openaiWire : path.startsWith('/anthropic/') ? anthropicWire : undefined;
}

export async function startProviderSim(options: ProviderSimOptions = {}): Promise<ProviderSim> {
  const bootConfig = resolveConfig(options);
  const scenario = new Scenario(bootConfig, options.clock);
  const log = new CallLog(bootConfig.callLogCapacity);
  const stats = new StatsCounter();
  const handler = new ProviderHandler(scenario, log, stats, { strict: bootConfig.strict, apiKeys: bootConfig.apiKeys });
  const control: ControlDeps = { scenario, log, stats, bootConfig, startedAt: Date.now() };
  const batches = new BatchApis(scenario, { strict: bootConfig.strict, apiKeys: bootConfig.apiKeys }, options.batch, options.clock);
  let embeddingCalls = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/openai/v1/chat/completions') return handler.handle(openaiWire, req, res);
    if (method === 'POST' && path === '/anthropic/v1/messages') return handler.handle(anthropicWire, req, res);
    if (method === 'POST' && path === '/openai/v1/embeddings') {
      embeddingCalls++;
      void handleEmbeddings(req, res);
      return;
    }
    if (method === 'GET' && path === '/openai/v1/models') return send(res, openaiWire.listModels(scenario.list('openai')));
    if (method === 'GET' && path === '/anthropic/v1/models') return send(res, anthropicWire.listModels(scenario.list('anthropic')));
    if (path.startsWith('/openai/') && batches.openai.handle(req, res, method, path.slice('/openai'.length))) return;
    if (path.startsWith('/anthropic/') && batches.anthropic.handle(req, res, method, path.slice('/anthropic'.length))) return;
    if (path.startsWith('/_sim/batches') && batches.handleControl(req, res, method, path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)))) return;
    if (path.startsWith('/_sim/')) {
      void handleControl(control, req, res, path, new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
      return;
    }
    req.resume();
    const wire = wireFor(path);
    if (wire) return send(res, wire.error({ kind: 'route_not_found', method, path }, 404));
    sendJson(res, 404, { error: `not found: ${method} ${path}` });
  });
  // Long keep-alive so load generators reuse connections; no server-side request timeout, since
  // hanging calls must stay open until the client gives up.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    host: address.address,
    openaiBaseURL: `${url}/openai/v1`,
    anthropicBaseURL: `${url}/anthropic`,
    calls: (since = 0) => log.since(since),
    embeddingCalls: () => embeddingCalls,
    clearCalls: () => log.clear(),
    stats: () => stats.snapshot(),
    resetPeak: () => stats.resetPeak(),
    patchModel: (name, patch, api) => scenario.patchModel(name, parseModelPatch(patch), api),
    setConfig: (config) => {
      const next = normalizeConfig(config, { callLogCapacity: log.capacity });
      if (config.latencyScale === undefined) next.latencyScale = scenario.latencyScale;
      if (config.seed === undefined) next.seed = scenario.seed;
      // Strictness is fixed at start (the handler's); a new config does not change it.
      next.strict = bootConfig.strict;
      scenario.load(next);
    },
    reset: () => {
      scenario.load(bootConfig);
      log.clear();
      stats.reset();
    },
    config: () => scenario.snapshot(),
    batches: (api) => batches.list(api),
    forceBatch: (id, how) => batches.force(id, how),
    setBatchSettings: (input) => batches.setSettings(input),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        handler.cancelAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function send(res: ServerResponse, r: { status: number; headers: Record<string, string>; body: string }): void {
  res.writeHead(r.status, { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) });
  res.end(r.body);
}
