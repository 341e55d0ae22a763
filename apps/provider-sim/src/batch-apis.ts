// Wires the simulated batch APIs together: one store shared by the OpenAI and Anthropic wire
// modules, the settings they run under, and the /_sim/batches control routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import { AnthropicBatchApi } from './anthropic-batch-wire';
import { anthropicWire } from './anthropic-wire';
import { answerBatchRequest, serverErrorAnswer } from './batch-answer';
import { parseBatchSettings, type BatchSettings, type BatchSettingsInput } from './batch-settings';
import { BatchStore, type SimBatch } from './batch-store';
import type { ApiKind } from './config-schema';
import { parseJson, readBody, sendJson } from './http-io';
import { OpenaiBatchApi } from './openai-batch-wire';
import { openaiWire } from './openai-wire';
import { streamFor } from './prng';
import type { Clock, Scenario } from './scenario';
import type { StrictSettings } from './strict-mode';

export interface BatchSummary {
  id: string;
  api: ApiKind;
  /** `processing`, `canceling`, or how it ended: `completed`, `failed`, `expired`, `cancelled`. */
  status: string;
  requests: number;
  createdAt: string;
  /** Ms until a processing batch ends by its drawn completion time. */
  endsInMs: number | null;
  results: Record<string, number> | null;
}

export class BatchApis {
  readonly store: BatchStore;
  readonly openai: OpenaiBatchApi;
  readonly anthropic: AnthropicBatchApi;
  private settings: BatchSettings;

  constructor(scenario: Scenario, strict: StrictSettings, settings: BatchSettingsInput | undefined, clock: Clock = () => performance.now()) {
    this.settings = parseBatchSettings(settings);
    const wireOf = (api: ApiKind) => (api === 'openai' ? openaiWire : anthropicWire);
    this.store = new BatchStore({
      clock,
      wallNow: () => Date.now(),
      rng: streamFor(scenario.seed, 'batches'),
      settings: () => this.settings,
      latencyScale: () => scenario.latencyScale,
      answer: (api, params) => answerBatchRequest(wireOf(api), scenario, strict, params),
      serverError: (api) => serverErrorAnswer(wireOf(api)),
    });
    this.openai = new OpenaiBatchApi(this.store, strict);
    this.anthropic = new AnthropicBatchApi(this.store, strict);
  }

  get currentSettings(): BatchSettings {
    return this.settings;
  }

  /** Replaces the given knobs (the rest stay); applies to batches created from now on. */
  setSettings(input: BatchSettingsInput): BatchSettings {
    this.settings = parseBatchSettings(input, this.settings);
    return this.settings;
  }

  list(api?: ApiKind): BatchSummary[] {
    return this.store.list(api).map((b) => this.summary(b));
  }

  force(id: string, how: 'complete' | 'expire' | 'fail'): BatchSummary | undefined {
    const batch = this.store.force(id, how);
    return batch && this.summary(batch);
  }

  /** `/_sim/batches…` control routes; false when `path` is not one. */
  handleControl(req: IncomingMessage, res: ServerResponse, method: string, path: string, query: URLSearchParams): boolean {
    const force = /^\/_sim\/batches\/([^/]+)\/(complete|expire|fail)$/.exec(path);
    if (method === 'GET' && path === '/_sim/batches') {
      const api = query.get('api');
      sendJson(res, 200, this.list(api === 'openai' || api === 'anthropic' ? api : undefined));
    } else if (method === 'POST' && force) {
      req.resume();
      const summary = this.force(force[1], force[2] as 'complete' | 'expire' | 'fail');
      if (summary) sendJson(res, 200, summary);
      else sendJson(res, 404, { error: `no batch ${force[1]}` });
    } else if (method === 'GET' && path === '/_sim/batches/settings') {
      sendJson(res, 200, this.settings);
    } else if (method === 'PUT' && path === '/_sim/batches/settings') {
      void readBody(req).then((text) => {
        try {
          sendJson(res, 200, this.setSettings(parseJson(text) as BatchSettingsInput));
        } catch (err) {
          sendJson(res, 400, { error: err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message });
        }
      });
    } else {
      return false;
    }
    return true;
  }

  private summary(b: SimBatch): BatchSummary {
    let results: Record<string, number> | null = null;
    if (b.results) {
      results = {};
      for (const r of b.results) results[r.kind] = (results[r.kind] ?? 0) + 1;
    }
    return {
      id: b.id,
      api: b.api,
      status: b.end ?? b.phase,
      requests: b.items.length,
      createdAt: new Date(b.createdAt).toISOString(),
      endsInMs: b.phase === 'processing' ? Math.round(this.store.remainingMs(b)) : null,
      results,
    };
  }
}
