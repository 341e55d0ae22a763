// OpenAI Files + Batch API (`/v1/files`, `/v1/batches`) over the neutral batch store: uploads of
// JSONL request files, validation of each line, the batch object with its status timeline, and
// the output / error files the SDK's `files.content` downloads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BatchStore, SimBatch } from './batch-store';
import { parseMultipart, refuseAuth, sendBatchError, sendBatchJson } from './batch-http';
import { headerValue, parseJson, readBody } from './http-io';
import type { StrictSettings } from './strict-mode';
import { isRecord, nextId } from './wire';

/** The only endpoint the simulator batches (the real API also takes /v1/responses, /v1/embeddings, …). */
export const OPENAI_BATCH_ENDPOINT = '/v1/chat/completions';
/** Documented limits of one batch input file. */
export const OPENAI_BATCH_MAX_REQUESTS = 50_000;
const FILE_PURPOSES = new Set(['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals']);
const BATCH_CREATE_FIELDS = new Set(['input_file_id', 'endpoint', 'completion_window', 'metadata', 'output_expires_after']);
const WINDOW_S = 24 * 3600;

interface SimFile {
  id: string;
  purpose: string;
  filename: string;
  content: string;
  createdAt: number;
}

interface LineError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export class OpenaiBatchApi {
  private readonly files = new Map<string, SimFile>();

  constructor(
    private readonly store: BatchStore,
    private readonly strict: StrictSettings,
  ) {}

  /** Serves `path` (without the `/openai` prefix) when it is a Files or Batch route; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, method: string, path: string): boolean {
    const m = /^\/v1\/(files|batches)(?:\/([^/]+)(?:\/(content|cancel))?)?$/.exec(path);
    if (!m) return false;
    const [, kind, id, action] = m;
    const route = `${method} ${kind}${id ? '/:id' : ''}${action ? `/${action}` : ''}`;
    const handlers: Record<string, (() => Promise<void>) | undefined> = {
      'POST files': () => this.upload(req, res),
      'GET files/:id': async () => this.withFile(res, id, (f) => sendBatchJson(res, 'openai', 200, fileObject(f))),
      'GET files/:id/content': async () => this.withFile(res, id, (f) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(Buffer.byteLength(f.content)) });
        res.end(f.content);
      }),
      'POST batches': () => this.create(req, res),
      'GET batches': async () => {
        const data = this.store.list('openai').reverse().map((b) => this.render(b));
        sendBatchJson(res, 'openai', 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false });
      },
      'GET batches/:id': async () => this.withBatch(res, this.store.get(id, 'openai'), id),
      'POST batches/:id/cancel': async () => {
        await readBody(req);
        this.withBatch(res, this.store.cancel(id, 'openai'), id);
      },
    };
    const handler = handlers[route];
    if (!handler) return false;
    if (refuseAuth('openai', req, res, this.strict)) {
      req.resume();
      return true;
    }
    handler().catch((err: unknown) => sendBatchError(res, 'openai', 500, (err as Error).message));
    return true;
  }

  private withFile(res: ServerResponse, id: string, then: (f: SimFile) => void): void {
    const file = this.files.get(id);
    if (!file) return sendBatchError(res, 'openai', 404, `No such File object: ${id}`, 'id');
    then(file);
  }

  private withBatch(res: ServerResponse, batch: SimBatch | undefined, id: string): void {
    if (!batch) return sendBatchError(res, 'openai', 404, `No batch found with id '${id}'.`, null, 'not_found');
    sendBatchJson(res, 'openai', 200, this.render(batch));
  }

  private async upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts = parseMultipart(headerValue(req, 'content-type'), await readBody(req));
    if (!parts) return sendBatchError(res, 'openai', 400, 'Expected a multipart/form-data body.');
    const purpose = parts.find((p) => p.name === 'purpose')?.content;
    const file = parts.find((p) => p.name === 'file' && p.filename !== null);
    if (purpose === undefined) return sendBatchError(res, 'openai', 400, "Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter');
    if (!file) return sendBatchError(res, 'openai', 400, "Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
    if (!FILE_PURPOSES.has(purpose)) return sendBatchError(res, 'openai', 400, `Invalid value for 'purpose': '${purpose}'.`, 'purpose', 'invalid_value');
    if (purpose === 'batch' && !file.filename!.endsWith('.jsonl')) {
      return sendBatchError(res, 'openai', 400, 'Invalid file format for Batch API. Must be .jsonl', 'file', 'invalid_file_format');
    }
    const stored = this.addFile(purpose, file.filename!, file.content);
    sendBatchJson(res, 'openai', 200, fileObject(stored));
  }

  private addFile(purpose: string, filename: string, content: string): SimFile {
    const file: SimFile = { id: nextId('file-'), purpose, filename, content, createdAt: Date.now() };
    this.files.set(file.id, file);
    return file;
  }

  private async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseJson(await readBody(req));
    if (!isRecord(body)) return sendBatchError(res, 'openai', 400, 'We could not parse the JSON body of your request.');
    const unknown = this.strict.strict ? Object.keys(body).find((k) => !BATCH_CREATE_FIELDS.has(k)) : undefined;
    if (unknown !== undefined) return sendBatchError(res, 'openai', 400, `Unrecognized request argument supplied: ${unknown}`);
    for (const field of ['input_file_id', 'endpoint', 'completion_window']) {
      if (typeof body[field] !== 'string') return sendBatchError(res, 'openai', 400, `Missing required parameter: '${field}'.`, field, 'missing_required_parameter');
    }
    if (body.endpoint !== OPENAI_BATCH_ENDPOINT) {
      return sendBatchError(res, 'openai', 400, `Invalid value for 'endpoint': provider-sim batches only ${OPENAI_BATCH_ENDPOINT}.`, 'endpoint', 'invalid_value');
    }
    if (body.completion_window !== '24h') {
      return sendBatchError(res, 'openai', 400, "Invalid value for 'completion_window': supported value is: '24h'.", 'completion_window', 'invalid_value');
    }
    const file = this.files.get(body.input_file_id as string);
    if (!file) return sendBatchError(res, 'openai', 404, `No such File object: ${String(body.input_file_id)}`, 'input_file_id');
    if (file.purpose !== 'batch') {
      return sendBatchError(res, 'openai', 400, `The input file must have purpose 'batch', got '${file.purpose}'.`, 'input_file_id', 'invalid_value');
    }
    const { items, errors } = parseInputFile(file.content, body.endpoint);
    const extra = { input_file_id: file.id, endpoint: body.endpoint, metadata: isRecord(body.metadata) ? body.metadata : null, errors };
    // A file that fails validation makes a batch that goes straight to `failed` with the line errors.
    const batch = this.store.create('openai', errors.length ? [] : items, extra, errors.length ? { kind: 'fails', afterMs: 0 } : undefined);
    sendBatchJson(res, 'openai', 200, this.render(batch, true));
  }

  /** `fresh`: the create response, before any time has passed (always `validating`). */
  private render(b: SimBatch, fresh = false) {
    const s = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));
    const created = s(b.createdAt)!;
    const errors = b.extra.errors as LineError[];
    const ended = b.phase === 'ended' && !fresh;
    if (ended) this.writeResultFiles(b);
    const status = fresh ? 'validating' : b.phase === 'canceling' ? 'cancelling' : ended ? { completed: 'completed', failed: 'failed', expired: 'expired', cancelled: 'cancelled' }[b.end!] : this.progress(b);
    const counts = { total: b.items.length, completed: 0, failed: 0 };
    for (const r of ended ? (b.results ?? []) : []) {
      if (r.kind === 'succeeded') counts.completed++;
      else counts.failed++;
    }
    const at = (when: boolean) => (when ? s(b.endedAt) : null);
    return {
      id: b.id,
      object: 'batch' as const,
      endpoint: b.extra.endpoint as string,
      errors: errors.length ? { object: 'list', data: errors } : null,
      input_file_id: b.extra.input_file_id as string,
      completion_window: '24h',
      status,
      output_file_id: ended ? ((b.extra.output_file_id as string | null | undefined) ?? null) : null,
      error_file_id: ended ? ((b.extra.error_file_id as string | null | undefined) ?? null) : null,
      created_at: created,
      in_progress_at: status === 'validating' || errors.length ? null : created,
      expires_at: created + WINDOW_S,
      finalizing_at: ended && b.end === 'completed' ? s(b.endedAt) : null,
      completed_at: at(ended && b.end === 'completed'),
      failed_at: at(ended && b.end === 'failed'),
      expired_at: at(ended && b.end === 'expired'),
      cancelling_at: s(b.cancelAt),
      cancelled_at: at(ended && b.end === 'cancelled'),
      request_counts: counts,
      metadata: b.extra.metadata ?? null,
    };
  }

  /** validating → in_progress → finalizing over the batch's drawn duration. */
  private progress(b: SimBatch): 'validating' | 'in_progress' | 'finalizing' {
    const total = b.fate.afterMs;
    const done = total > 0 ? 1 - this.store.remainingMs(b) / total : 1;
    return done < 0.05 ? 'validating' : done > 0.95 ? 'finalizing' : 'in_progress';
  }

  /** Successful answers go to the output file, every other request to the error file (once, when the batch ends). */
  private writeResultFiles(b: SimBatch): void {
    if ('output_file_id' in b.extra || b.end === 'failed') return;
    const out: string[] = [];
    const err: string[] = [];
    for (const r of b.results ?? []) {
      const id = nextId('batch_req_');
      if (r.kind === 'succeeded' || r.kind === 'errored') {
        const line = { id, custom_id: r.customId, response: { status_code: r.answer.status, request_id: r.answer.requestId, body: r.answer.body }, error: null };
        (r.kind === 'succeeded' ? out : err).push(JSON.stringify(line));
      } else {
        const error = r.kind === 'expired'
          ? { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' }
          : { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' };
        err.push(JSON.stringify({ id, custom_id: r.customId, response: null, error }));
      }
    }
    const write = (lines: string[]) => (lines.length ? this.addFile('batch_output', `${b.id}_output.jsonl`, `${lines.join('\n')}\n`).id : null);
    b.extra.output_file_id = write(out);
    b.extra.error_file_id = write(err);
  }
}

function fileObject(f: SimFile) {
  return { id: f.id, object: 'file', bytes: Buffer.byteLength(f.content), created_at: Math.floor(f.createdAt / 1000), expires_at: null, filename: f.filename, purpose: f.purpose, status: 'processed', status_details: null };
}

/** Each line `{ custom_id, method: "POST", url: <endpoint>, body }`; unique ids, one model per file. */
export function parseInputFile(content: string, endpoint: string): { items: { customId: string; params: unknown }[]; errors: LineError[] } {
  const items: { customId: string; params: unknown }[] = [];
  const errors: LineError[] = [];
  const seen = new Set<string>();
  const models = new Set<string>();
  const lines = content.split('\n');
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    const line = i + 1;
    const fail = (code: string, message: string, param: string | null = null) => errors.push({ code, message, param, line });
    const row = parseJson(text);
    if (!isRecord(row)) return fail('invalid_json_line', 'This line is not parseable as valid JSON.');
    if (typeof row.custom_id !== 'string' || row.custom_id === '') return fail('missing_required_parameter', "Missing required parameter: 'custom_id'.", 'custom_id');
    if (seen.has(row.custom_id)) return fail('duplicate_custom_id', `The custom_id '${row.custom_id}' is not unique in this file.`, 'custom_id');
    seen.add(row.custom_id);
    if (row.method !== 'POST') return fail('invalid_method', "Invalid value for 'method': only POST is supported.", 'method');
    if (row.url !== endpoint) return fail('mismatched_endpoint', `The url '${String(row.url)}' does not match the batch endpoint '${endpoint}'.`, 'url');
    if (!isRecord(row.body)) return fail('missing_required_parameter', "Missing required parameter: 'body'.", 'body');
    if (typeof row.body.model === 'string') models.add(row.body.model);
    items.push({ customId: row.custom_id, params: row.body });
  });
  if (items.length === 0 && errors.length === 0) errors.push({ code: 'empty_file', message: 'The batch input file is empty.', param: null, line: null });
  if (items.length > OPENAI_BATCH_MAX_REQUESTS) {
    errors.push({ code: 'too_many_requests', message: `A batch may hold at most ${OPENAI_BATCH_MAX_REQUESTS} requests.`, param: null, line: null });
  }
  if (models.size > 1) errors.push({ code: 'mismatched_model', message: 'All requests in a batch must use the same model.', param: 'body.model', line: null });
  return { items, errors };
}
