// The mixed workload of bench:batch and how its outcome is counted (pure: no I/O).
import type { RequestV1Input } from '@switchyard/contracts';
import { mulberry32 } from '../../apps/provider-sim/src/prng';

export interface MixOptions {
  requests: number;
  /** Share of interactive requests (the rest tolerate a deadline of minutes to hours). */
  interactiveShare: number;
  /** Simulated ms per real ms (the simulator's latency scale): deadlines are scaled by it. */
  timeScale: number;
  seed: number;
}

export interface PlannedRequest {
  id: string;
  kind: 'interactive' | 'tolerant';
  /** Real ms from publishing to the deadline. */
  deadlineMs: number;
  request: RequestV1Input;
}

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** Interactive requests: the router's usual 30 s (not scaled: they are served live at real speed). */
const INTERACTIVE_DEADLINE_MS = 30_000;

/**
 * Interactive chat turns (short prompt, default class) mixed with deadline-tolerant jobs (a long
 * document to summarise, class `tolerant`), with deadlines log-uniform between 5 min and 24 h of
 * simulated time. Tolerant requests carry no `routing.batch`: their class decides.
 */
export function planMix(o: MixOptions): PlannedRequest[] {
  // Seeded, so both arms of the comparison see the same requests.
  const random = mulberry32(o.seed);
  const out: PlannedRequest[] = [];
  for (let i = 0; i < o.requests; i++) {
    const id = `m${o.seed}-${i}`;
    if (random() < o.interactiveShare) {
      out.push({ id, kind: 'interactive', deadlineMs: INTERACTIVE_DEADLINE_MS, request: { schemaVersion: 1, id, tenant: 'bench', messages: [{ role: 'user', content: `question ${i}: what is the status of order ${i}?` }], params: { maxTokens: 200 } } });
      continue;
    }
    const simulated = Math.exp(Math.log(5 * MIN) + random() * (Math.log(DAY) - Math.log(5 * MIN)));
    const deadlineMs = Math.max(1, Math.round(simulated * o.timeScale));
    const document = `Ticket ${i}. `.repeat(400);
    out.push({
      id,
      kind: 'tolerant',
      deadlineMs,
      request: { schemaVersion: 1, id, tenant: 'bench', class: 'tolerant', messages: [{ role: 'user', content: `Summarise these support tickets:\n${document}` }], params: { maxTokens: 300 }, routing: { deadlineMs } },
    });
  }
  return out;
}

export interface Seen {
  /** Real ms from publishing to the first response. */
  afterMs: number;
  status: string;
  costUsd: number;
  servedVia?: string;
  records: number;
}

export interface MixOutcome {
  requests: number;
  answered: number;
  lost: number;
  /** Records beyond the first for an id (byte-identical re-publishes included). */
  duplicates: number;
  deadlineMisses: number;
  good: number;
  costUsd: number;
  costPerGoodUsd: number;
  servedVia: Record<string, number>;
  /** Tolerant requests answered by a batch. */
  batched: number;
  interactiveP95Ms: number;
  interactiveP50Ms: number;
}

/** Good = an ok answer within its deadline. Deadline misses count failures and late answers of answered requests. */
export function accountMix(plan: readonly PlannedRequest[], seen: ReadonlyMap<string, Seen>): MixOutcome {
  let answered = 0;
  let duplicates = 0;
  let misses = 0;
  let good = 0;
  let cost = 0;
  let batched = 0;
  const via: Record<string, number> = {};
  const interactive: number[] = [];
  for (const p of plan) {
    const s = seen.get(p.id);
    if (!s) continue;
    answered++;
    duplicates += s.records - 1;
    cost += s.costUsd;
    const v = s.servedVia ?? 'live';
    via[v] = (via[v] ?? 0) + 1;
    if (p.kind === 'tolerant' && v === 'batch') batched++;
    const inTime = s.afterMs <= p.deadlineMs;
    if (s.status === 'ok' && inTime) good++;
    else misses++;
    if (p.kind === 'interactive') interactive.push(s.afterMs);
  }
  interactive.sort((a, b) => a - b);
  const q = (p: number) => (interactive.length ? interactive[Math.min(interactive.length - 1, Math.floor(p * interactive.length))] : 0);
  return {
    requests: plan.length,
    answered,
    lost: plan.length - answered,
    duplicates,
    deadlineMisses: misses,
    good,
    costUsd: cost,
    costPerGoodUsd: good ? cost / good : Infinity,
    servedVia: via,
    batched,
    interactiveP50Ms: q(0.5),
    interactiveP95Ms: q(0.95),
  };
}
