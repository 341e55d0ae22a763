// The simulated batches of both APIs, API-neutral: each is created with a fate drawn from the batch
// settings (when it ends, and whether it ends, fails or expires) and advanced lazily whenever it is
// read, so no timer runs and a fixed seed replays the same batches. The wire modules render it.
import type { ApiKind } from './config-schema';
import type { BatchAnswer } from './batch-answer';
import { drawFate, type BatchFate, type BatchSettings } from './batch-settings';
import type { Rng } from './prng';
import { nextId } from './wire';

export type BatchItemResult =
  | { customId: string; kind: 'succeeded' | 'errored'; answer: BatchAnswer }
  | { customId: string; kind: 'expired' | 'canceled' };

/** `failed` only for OpenAI (a batch that never ran); Anthropic shows a failed batch as every request errored. */
export type BatchEnd = 'completed' | 'failed' | 'expired' | 'cancelled';

export interface BatchItem {
  customId: string;
  params: unknown;
}

export interface SimBatch {
  readonly id: string;
  readonly api: ApiKind;
  readonly items: readonly BatchItem[];
  /** Wall-clock ms (for the timestamps the APIs show). */
  readonly createdAt: number;
  /** Sim clock ms (for the schedule). */
  readonly createdAtClock: number;
  fate: BatchFate;
  phase: 'processing' | 'canceling' | 'ended';
  end: BatchEnd | null;
  endedAt: number | null;
  cancelAt: number | null;
  results: BatchItemResult[] | null;
  /** Wire-specific fields (OpenAI input/output file ids, endpoint, metadata, validation errors). */
  readonly extra: Record<string, unknown>;
}

export interface BatchStoreDeps {
  /** Sim clock (ms, monotonic). */
  clock: () => number;
  wallNow: () => number;
  rng: Rng;
  settings: () => BatchSettings;
  latencyScale: () => number;
  /** The answer of one request, by the live model logic. */
  answer: (api: ApiKind, params: unknown) => BatchAnswer;
  /** A server error in the API's shape (injected per-request errors, failed Anthropic batches). */
  serverError: (api: ApiKind) => BatchAnswer;
}

export class BatchStore {
  private readonly batches = new Map<string, SimBatch>();

  constructor(private readonly deps: BatchStoreDeps) {}

  create(api: ApiKind, items: BatchItem[], extra: Record<string, unknown> = {}, fate?: BatchFate): SimBatch {
    const r = this.deps.rng;
    const drawn = drawFate(this.deps.settings(), this.deps.latencyScale(), [r(), r(), r(), r()]);
    const batch: SimBatch = {
      id: nextId(api === 'openai' ? 'batch_' : 'msgbatch_01'),
      api,
      items,
      createdAt: this.deps.wallNow(),
      createdAtClock: this.deps.clock(),
      fate: fate ?? drawn,
      phase: 'processing',
      end: null,
      endedAt: null,
      cancelAt: null,
      results: null,
      extra,
    };
    this.batches.set(batch.id, batch);
    return batch;
  }

  get(id: string, api?: ApiKind): SimBatch | undefined {
    const batch = this.batches.get(id);
    if (!batch || (api && batch.api !== api)) return undefined;
    this.advance(batch);
    return batch;
  }

  list(api?: ApiKind): SimBatch[] {
    const out: SimBatch[] = [];
    for (const b of this.batches.values()) {
      if (api && b.api !== api) continue;
      this.advance(b);
      out.push(b);
    }
    return out;
  }

  /** Starts cancelling a processing batch (it shows `canceling` until its next read). False when it has ended. */
  cancel(id: string, api?: ApiKind): SimBatch | undefined {
    const batch = this.get(id, api);
    if (!batch) return undefined;
    if (batch.phase === 'processing') {
      batch.phase = 'canceling';
      batch.cancelAt = this.deps.wallNow();
    }
    return batch;
  }

  /** Control API: end a processing batch now, as it would have (`complete`), or expire / fail it. */
  force(id: string, how: 'complete' | 'expire' | 'fail'): SimBatch | undefined {
    const batch = this.batches.get(id);
    if (!batch) return undefined;
    if (batch.phase !== 'ended') {
      const afterMs = this.deps.clock() - batch.createdAtClock;
      batch.fate = { kind: how === 'complete' ? 'ends' : how === 'expire' ? 'expires' : 'fails', afterMs };
      batch.phase = 'processing';
    }
    this.advance(batch);
    return batch;
  }

  /** Ms until a processing batch ends (0 once due). */
  remainingMs(batch: SimBatch): number {
    return Math.max(0, batch.createdAtClock + batch.fate.afterMs - this.deps.clock());
  }

  clear(): void {
    this.batches.clear();
  }

  private advance(batch: SimBatch): void {
    if (batch.phase === 'ended') return;
    if (batch.phase === 'canceling') return this.settle(batch, 'cancelled', () => 'canceled');
    if (this.remainingMs(batch) > 0) return;
    switch (batch.fate.kind) {
      case 'expires':
        return this.settle(batch, 'expired', () => 'expired');
      case 'fails':
        return this.settle(batch, 'failed', () => 'server_error');
      case 'ends': {
        const s = this.deps.settings();
        return this.settle(batch, 'completed', () => {
          const u = this.deps.rng();
          return u < s.expiredRate ? 'expired' : u < s.expiredRate + s.erroredRate ? 'server_error' : 'answer';
        });
      }
    }
  }

  private settle(batch: SimBatch, end: BatchEnd, each: (item: BatchItem) => 'answer' | 'server_error' | 'expired' | 'canceled'): void {
    batch.results = batch.items.map((item): BatchItemResult => {
      const how = each(item);
      if (how === 'expired' || how === 'canceled') return { customId: item.customId, kind: how };
      const answer = how === 'answer' ? this.deps.answer(batch.api, item.params) : this.deps.serverError(batch.api);
      return { customId: item.customId, kind: answer.status === 200 ? 'succeeded' : 'errored', answer };
    });
    batch.phase = 'ended';
    batch.end = end;
    batch.endedAt = this.deps.wallNow();
  }
}
