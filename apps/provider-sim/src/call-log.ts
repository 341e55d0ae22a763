// Bounded record of provider calls (ring buffer) plus running counters for GET /_sim/stats.
import type { ApiKind } from './config-schema';

/** `ok`, an HTTP status as a string ('400', '429', '500', '529', ...), or a socket-level outcome. */
export type CallOutcome = 'ok' | 'reset' | 'hang' | 'aborted' | `${number}`;

export interface CallRecord {
  seq: number;
  /** Epoch ms when the call arrived. */
  at: number;
  api: ApiKind;
  /** Model requested (null if the body could not be parsed). */
  model: string | null;
  requestId: string | null;
  attempt: number | null;
  outcome: CallOutcome;
  /** HTTP status sent; null when no response was sent (reset, hang, aborted). */
  status: number | null;
  /** Wall time from arrival to response (or to reset / client abort). */
  latencyMs: number;
  /** The latency drawn from the model's distribution (repeatable under a fixed seed). */
  sampledLatencyMs: number | null;
  inputTokens: number;
  outputTokens: number;
  /** For 200s: stop | length | content_filter (OpenAI) / end_turn | max_tokens | stop_sequence | refusal. */
  finishReason: string | null;
  /** Which fault or check produced the outcome (rate429, error5xx, outage, context_length_exceeded, ...). */
  fault: string | null;
  /** The auth header(s) the call carried: `x-api-key`, `bearer`, `both`, or null (none). */
  auth: 'x-api-key' | 'bearer' | 'both' | null;
  /** Sampling parameters and stop sequences as the call sent them (null / [] when absent). */
  temperature: number | null;
  topP: number | null;
  stop: string[];
  /** How JSON was asked for: OpenAI `response_format`, Anthropic forced tool use, or null. */
  jsonMode: 'response_format' | 'forced_tool' | null;
}

export class CallLog {
  private readonly buffer: (CallRecord | undefined)[];
  private nextSeq = 1;
  /** Number of records currently held. */
  private count = 0;

  constructor(readonly capacity: number) {
    this.buffer = new Array<CallRecord | undefined>(capacity);
  }

  add(record: Omit<CallRecord, 'seq'>): CallRecord {
    const full = { seq: this.nextSeq++, ...record } as CallRecord;
    this.buffer[(full.seq - 1) % this.capacity] = full;
    if (this.count < this.capacity) this.count++;
    return full;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Records with seq > since, oldest first, at most `limit`. */
  since(since = 0, limit = Number.POSITIVE_INFINITY): CallRecord[] {
    const first = this.nextSeq - this.count;
    const start = Math.max(first, Math.floor(since) + 1);
    const out: CallRecord[] = [];
    for (let seq = start; seq < this.nextSeq && out.length < limit; seq++) {
      out.push(this.buffer[(seq - 1) % this.capacity] as CallRecord);
    }
    return out;
  }

  /** Forgets records; sequence numbers keep increasing so `since` cursors stay valid. */
  clear(): void {
    this.buffer.fill(undefined);
    this.count = 0;
  }
}

export interface ModelCounters {
  calls: number;
  ok: number;
  errors: number;
}

export interface SimStats {
  total: number;
  byModel: Record<string, ModelCounters>;
  byOutcome: Record<string, number>;
  inFlight: number;
  peakInFlight: number;
}

export class StatsCounter {
  private total = 0;
  private byModel = new Map<string, ModelCounters>();
  private byOutcome = new Map<string, number>();
  inFlight = 0;
  peakInFlight = 0;

  enter(): void {
    this.inFlight++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
  }

  exit(record: Pick<CallRecord, 'model' | 'outcome'>): void {
    this.inFlight--;
    this.total++;
    const key = record.model ?? '(unknown)';
    let counters = this.byModel.get(key);
    if (!counters) {
      counters = { calls: 0, ok: 0, errors: 0 };
      this.byModel.set(key, counters);
    }
    counters.calls++;
    if (record.outcome === 'ok') counters.ok++;
    else counters.errors++;
    this.byOutcome.set(record.outcome, (this.byOutcome.get(record.outcome) ?? 0) + 1);
  }

  resetPeak(): void {
    this.peakInFlight = this.inFlight;
  }

  /** Clears counters (in-flight calls keep counting). */
  reset(): void {
    this.total = 0;
    this.byModel.clear();
    this.byOutcome.clear();
    this.peakInFlight = this.inFlight;
  }

  snapshot(): SimStats {
    return {
      total: this.total,
      byModel: Object.fromEntries([...this.byModel].map(([k, v]) => [k, { ...v }])),
      byOutcome: Object.fromEntries(this.byOutcome),
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
    };
  }
}
