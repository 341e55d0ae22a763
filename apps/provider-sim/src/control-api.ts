// JSON control API under /_sim: health, config (read / replace / patch one model), reset, recorded
// calls and stats.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallLog, StatsCounter } from './call-log';
import { ConfigError, normalizeConfig, parseModelPatch } from './config-loader';
import { API_KINDS, type ApiKind, type SimConfig } from './config-schema';
import { parseJson, readBody, sendJson } from './http-io';
import type { Scenario } from './scenario';

export interface ControlDeps {
  scenario: Scenario;
  log: CallLog;
  stats: StatsCounter;
  /** The configuration the simulator booted with (POST /_sim/reset restores it). */
  bootConfig: SimConfig;
  startedAt: number;
}

function apiParam(query: URLSearchParams): ApiKind | undefined {
  const api = query.get('api');
  return API_KINDS.find((a) => a === api);
}

function numberParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

export async function handleControl(deps: ControlDeps, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  const { scenario, log, stats } = deps;
  const method = req.method ?? 'GET';
  const route = `${method} ${path}`;
  try {
    if (route === 'GET /_sim/health') {
      return sendJson(res, 200, {
        status: 'ok',
        uptimeMs: Math.round(Date.now() - deps.startedAt),
        models: scenario.modelCount,
        inFlight: stats.inFlight,
      });
    }
    if (route === 'GET /_sim/config') return sendJson(res, 200, scenario.snapshot());
    if (route === 'PUT /_sim/config') {
      const body = await readJson(req);
      // The call-log size is fixed at start; seed and latency scale carry over unless given.
      const next = normalizeConfig(body, { callLogCapacity: log.capacity });
      if (!hasKey(body, 'latencyScale')) next.latencyScale = scenario.latencyScale;
      if (!hasKey(body, 'seed')) next.seed = scenario.seed;
      scenario.load(next);
      return sendJson(res, 200, scenario.snapshot());
    }
    if (method === 'PATCH' && path.startsWith('/_sim/models/')) {
      const name = decodeURIComponent(path.slice('/_sim/models/'.length));
      const patch = parseModelPatch(await readJson(req));
      return sendJson(res, 200, { models: scenario.patchModel(name, patch, apiParam(query)) });
    }
    if (route === 'POST /_sim/reset') {
      await drain(req);
      scenario.load(deps.bootConfig);
      log.clear();
      stats.reset();
      return sendJson(res, 200, { status: 'reset', lastSeq: log.lastSeq });
    }
    if (route === 'GET /_sim/calls') {
      const since = numberParam(query, 'since') ?? 0;
      const limit = numberParam(query, 'limit');
      const requestId = query.get('requestId');
      const model = query.get('model');
      let calls = log.since(since, requestId || model ? undefined : limit);
      if (requestId) calls = calls.filter((c) => c.requestId === requestId);
      if (model) calls = calls.filter((c) => c.model === model);
      if ((requestId || model) && limit !== undefined) calls = calls.slice(0, limit);
      return sendJson(res, 200, calls, { 'x-sim-last-seq': String(log.lastSeq) });
    }
    if (route === 'DELETE /_sim/calls') {
      log.clear();
      return sendJson(res, 200, { status: 'cleared', lastSeq: log.lastSeq });
    }
    if (route === 'GET /_sim/stats') return sendJson(res, 200, stats.snapshot());
    if (route === 'POST /_sim/stats/reset-peak') {
      await drain(req);
      stats.resetPeak();
      return sendJson(res, 200, stats.snapshot());
    }
    return sendJson(res, 404, { error: `no control route ${route}` });
  } catch (err) {
    if (err instanceof ConfigError) {
      const status = err.message.startsWith('unknown model') ? 404 : 400;
      return sendJson(res, status, { error: err.message });
    }
    if (err instanceof SyntaxError) return sendJson(res, 400, { error: `invalid JSON body: ${err.message}` });
    return sendJson(res, 500, { error: (err as Error).message });
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  const parsed = parseJson(text);
  if (parsed === undefined) throw new SyntaxError('expected a JSON body');
  return parsed;
}

function drain(req: IncomingMessage): Promise<string> {
  return readBody(req);
}

function hasKey(body: unknown, key: string): boolean {
  return typeof body === 'object' && body !== null && key in body;
}
