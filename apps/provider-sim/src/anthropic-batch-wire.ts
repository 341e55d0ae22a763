// Anthropic Message Batches (`/v1/messages/batches`) over the neutral batch store: create from
// `requests: [{ custom_id, params }]`, the batch object with `processing_status` and
// `request_counts`, the JSONL results stream at `results_url`, and cancel.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BatchStore, SimBatch } from './batch-store';
import { refuseAuth, sendBatchError, sendBatchJson } from './batch-http';
import { parseJson, readBody } from './http-io';
import type { StrictSettings } from './strict-mode';
import { isRecord } from './wire';

/** Documented limits of one Message Batch. */
export const ANTHROPIC_BATCH_MAX_REQUESTS = 100_000;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const CREATE_FIELDS = new Set(['requests']);
const REQUEST_FIELDS = new Set(['custom_id', 'params']);
const WINDOW_MS = 24 * 3_600_000;

export class AnthropicBatchApi {
  constructor(
    private readonly store: BatchStore,
    private readonly strict: StrictSettings,
  ) {}

  /** Serves `path` (without the `/anthropic` prefix) when it is a Message Batches route; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, method: string, path: string): boolean {
    const m = /^\/v1\/messages\/batches(?:\/([^/]+)(?:\/(results|cancel))?)?$/.exec(path);
    if (!m) return false;
    const [, id, action] = m;
    const route = `${method} ${id ? ':id' : ''}${action ? `/${action}` : ''}`;
    const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
    const handlers: Record<string, (() => Promise<void>) | undefined> = {
      'POST ': () => this.create(req, res, origin),
      'GET ': async () => {
        const data = this.store.list('anthropic').reverse().map((b) => render(b, origin));
        sendBatchJson(res, 'anthropic', 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      },
      'GET :id': async () => this.withBatch(res, this.store.get(id, 'anthropic'), id, origin),
      'POST :id/cancel': async () => {
        await readBody(req);
        this.withBatch(res, this.store.cancel(id, 'anthropic'), id, origin);
      },
      'GET :id/results': async () => this.results(res, id),
    };
    const handler = handlers[route];
    if (!handler) return false;
    if (refuseAuth('anthropic', req, res, this.strict)) {
      req.resume();
      return true;
    }
    handler().catch((err: unknown) => sendBatchError(res, 'anthropic', 500, (err as Error).message));
    return true;
  }

  private withBatch(res: ServerResponse, batch: SimBatch | undefined, id: string, origin: string): void {
    if (!batch) return sendBatchError(res, 'anthropic', 404, `message_batch ${id} not found`);
    sendBatchJson(res, 'anthropic', 200, render(batch, origin));
  }

  private async create(req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
    const body = parseJson(await readBody(req));
    if (!isRecord(body)) return sendBatchError(res, 'anthropic', 400, 'There was an issue with the request body: expected a JSON object.');
    const unknown = this.strict.strict ? Object.keys(body).find((k) => !CREATE_FIELDS.has(k)) : undefined;
    if (unknown !== undefined) return sendBatchError(res, 'anthropic', 400, `${unknown}: Extra inputs are not permitted`);
    const requests = body.requests;
    if (!Array.isArray(requests)) return sendBatchError(res, 'anthropic', 400, 'requests: Field required');
    if (requests.length === 0) return sendBatchError(res, 'anthropic', 400, 'requests: List should have at least 1 item after validation, not 0');
    if (requests.length > ANTHROPIC_BATCH_MAX_REQUESTS) return sendBatchError(res, 'anthropic', 400, `requests: a batch may hold at most ${ANTHROPIC_BATCH_MAX_REQUESTS} requests`);
    const seen = new Set<string>();
    const items: { customId: string; params: unknown }[] = [];
    for (let i = 0; i < requests.length; i++) {
      const r: unknown = requests[i];
      if (!isRecord(r)) return sendBatchError(res, 'anthropic', 400, `requests.${i}: Input should be a valid dictionary`);
      const extra = this.strict.strict ? Object.keys(r).find((k) => !REQUEST_FIELDS.has(k)) : undefined;
      if (extra !== undefined) return sendBatchError(res, 'anthropic', 400, `requests.${i}.${extra}: Extra inputs are not permitted`);
      if (typeof r.custom_id !== 'string' || !CUSTOM_ID.test(r.custom_id)) {
        return sendBatchError(res, 'anthropic', 400, `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
      }
      if (seen.has(r.custom_id)) return sendBatchError(res, 'anthropic', 400, `Duplicate custom_id: ${r.custom_id}`);
      seen.add(r.custom_id);
      if (!isRecord(r.params)) return sendBatchError(res, 'anthropic', 400, `requests.${i}.params: Field required`);
      // The params themselves are validated when the request runs: a bad one comes back `errored`.
      items.push({ customId: r.custom_id, params: r.params });
    }
    sendBatchJson(res, 'anthropic', 200, render(this.store.create('anthropic', items), origin, true));
  }

  private results(res: ServerResponse, id: string): void {
    const batch = this.store.get(id, 'anthropic');
    if (!batch) return sendBatchError(res, 'anthropic', 404, `message_batch ${id} not found`);
    if (batch.phase !== 'ended') return sendBatchError(res, 'anthropic', 400, `Batch ${id} has not finished processing; results are not yet available.`);
    const lines = (batch.results ?? []).map((r) => {
      const result = r.kind === 'succeeded' ? { type: 'succeeded', message: r.answer.body }
        : r.kind === 'errored' ? { type: 'errored', error: r.answer.body }
        : { type: r.kind };
      return JSON.stringify({ custom_id: r.customId, result });
    });
    const text = lines.length ? `${lines.join('\n')}\n` : '';
    res.writeHead(200, { 'content-type': 'application/binary', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }
}

/** `fresh`: the create response (nothing settled yet). */
function render(b: SimBatch, origin: string, fresh = false) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const ended = b.phase === 'ended' && !fresh;
  const counts = { processing: ended ? 0 : b.items.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  for (const r of ended ? (b.results ?? []) : []) counts[r.kind]++;
  return {
    id: b.id,
    type: 'message_batch' as const,
    processing_status: ended ? 'ended' : b.phase === 'canceling' ? 'canceling' : 'in_progress',
    request_counts: counts,
    ended_at: ended ? iso(b.endedAt) : null,
    created_at: iso(b.createdAt)!,
    expires_at: iso(b.createdAt + WINDOW_MS)!,
    archived_at: null,
    cancel_initiated_at: iso(b.cancelAt),
    results_url: ended ? `${origin}/anthropic/v1/messages/batches/${b.id}/results` : null,
  };
}
