import { randomUUID } from 'node:crypto';
import type { BudgetLine, BudgetStore, LineUsage, ReserveResult } from '@switchyard/core';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua';
import { describeCause, StateStoreUnavailableError, type StateLogger } from './state-store-errors';

/** Same float tolerance as InMemoryBudgetStore. */
const EPSILON = 1e-12;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Length of a budget window by its id prefix (see `windowId`); unknown prefixes: the longest. */
const WINDOW_MS: Record<string, number> = { minute: MINUTE, hour: HOUR, day: DAY, month: 31 * DAY };

export interface RedisBudgetStoreOptions {
  /**
   * Prefix of every key. Keep one `{hash tag}` in it: every key then lives in one Redis Cluster
   * slot, which the multi-key scripts need. Default `{switchyard}:`.
   */
  prefix?: string;
  /**
   * How long a reservation holds its headroom without being settled or released. A replica that
   * crashes mid-call never settles: its reservations stop counting after this long (the next script
   * touching the line drops them). Must exceed the longest attempt (deadline); default 10 min.
   */
  reservationTtlMs?: number;
  /**
   * How long the reservation record outlives `reservationTtlMs`, so that a late settle (after the
   * hold lapsed) still books the real cost. Past it, settle/release of that id are no-ops. Default 1 h.
   */
  settleGraceMs?: number;
  /** Added to a window's length for its keys' TTL (window keys expire shortly after the window). Default 10 min. */
  windowGraceMs?: number;
  /**
   * Settlements/releases that failed while Redis was unreachable are kept (at most this many) and
   * replayed when it is back. Default 10 000; beyond that the oldest are dropped (their holds expire).
   */
  maxPendingSettlements?: number;
  logger?: StateLogger;
}

interface Pending {
  reservationId: string;
  actualUsd: number;
}

/** What a refused reservation carries besides the port's fields (read by BudgetGuard once core supports it). */
export type RedisReserveRefusal = Extract<ReserveResult, { ok: false }> & { reason: string; unavailable: true };

/*
 * Data per budget line (key + window), all under the prefix:
 *   budget:l:<len>:<key>:<windowId>   hash   s = settled USD, r = reserved USD (sum of live holds),
 *                                            x:<id> = amount held by reservation <id>
 *   budget:e:<len>:<key>:<windowId>   zset   reservation id -> hold expiry (Redis server ms)
 *   budget:r:<id>                     string reservation record (JSON): amount, its line/zset keys, TTLs
 * Amounts are doubles written with %.17g (exact round trip). Time is Redis' TIME, so replica clocks
 * do not matter. Every script first drops the line's lapsed holds (`purge`), so "used" = s + r of live holds.
 */
const COMMON = `
local function fmt(x) return string.format('%.17g', x) end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function purge(L, E, now)
  local s = tonumber(redis.call('HGET', L, 's') or '0')
  local r = tonumber(redis.call('HGET', L, 'r') or '0')
  local expired = redis.call('ZRANGEBYSCORE', E, '-inf', fmt(now))
  if #expired > 0 then
    for _, id in ipairs(expired) do
      r = r - tonumber(redis.call('HGET', L, 'x:' .. id) or '0')
      redis.call('HDEL', L, 'x:' .. id)
    end
    redis.call('ZREMRANGEBYSCORE', E, '-inf', fmt(now))
    if r < 0 or redis.call('ZCARD', E) == 0 then r = 0 end
    redis.call('HSET', L, 'r', fmt(r))
  end
  return s, r
end
local function touch(key, ttl)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * KEYS: record, L1..Ln, E1..En. ARGV: amount, id, holdTtlMs, recordTtlMs, descriptor JSON, epsilon,
 * then cap_i, lineTtlMs_i per line. Checks every line before writing any: all-or-nothing.
 * Returns {'ok'|'blocked', blockedBy (0-based, -1 if ok), used_1..used_n (after)}.
 */
const RESERVE = new LuaScript(`${COMMON}
local amount = tonumber(ARGV[1])
local id = ARGV[2]
local eps = tonumber(ARGV[6])
local n = (#KEYS - 1) / 2
local now = clock()
local used = {}
local blocked = -1
for i = 1, n do
  local s, r = purge(KEYS[1 + i], KEYS[1 + n + i], now)
  used[i] = s + r
  if blocked < 0 and used[i] + amount > tonumber(ARGV[5 + 2 * i]) + eps then blocked = i - 1 end
end
local out = {}
if blocked >= 0 then
  out[1] = 'blocked'
  out[2] = tostring(blocked)
  for i = 1, n do out[2 + i] = fmt(used[i]) end
  return out
end
local lines, exps, ttls = {}, {}, {}
for i = 1, n do
  local L, E = KEYS[1 + i], KEYS[1 + n + i]
  local ttl = tonumber(ARGV[6 + 2 * i])
  local r = tonumber(redis.call('HGET', L, 'r') or '0') + amount
  redis.call('HSET', L, 'r', fmt(r), 'x:' .. id, fmt(amount))
  redis.call('ZADD', E, fmt(now + tonumber(ARGV[3])), id)
  touch(L, ttl)
  touch(E, ttl)
  used[i] = used[i] + amount
  lines[i], exps[i], ttls[i] = L, E, ttl
end
redis.call('SET', KEYS[1], cjson.encode({ l = lines, e = exps, t = ttls, d = ARGV[5] }), 'PX', ARGV[4])
out[1] = 'ok'
out[2] = '-1'
for i = 1, n do out[2 + i] = fmt(used[i]) end
return out
`);

/**
 * KEYS: record. ARGV: actualUsd (0 = release), id. Deletes the record first, so a repeat (or an
 * unknown id) returns {} and changes nothing. Removes the hold from each line if it is still live
 * (a lapsed hold was already dropped) and adds the actual cost to what the line has settled.
 * Returns {descriptor JSON, used_1..used_n}. The line keys come from the record; they share its hash tag.
 */
const SETTLE = new LuaScript(`${COMMON}
local raw = redis.call('GET', KEYS[1])
if not raw then return {} end
redis.call('DEL', KEYS[1])
local rec = cjson.decode(raw)
local actual = math.max(0, tonumber(ARGV[1]))
local id = ARGV[2]
local now = clock()
local out = { rec.d }
for i, L in ipairs(rec.l) do
  local E = rec.e[i]
  local s, r = purge(L, E, now)
  if redis.call('ZREM', E, id) == 1 then
    r = r - tonumber(redis.call('HGET', L, 'x:' .. id) or '0')
    if r < 0 or redis.call('ZCARD', E) == 0 then r = 0 end
  end
  redis.call('HDEL', L, 'x:' .. id)
  s = s + actual
  redis.call('HSET', L, 's', fmt(s), 'r', fmt(r))
  touch(L, rec.t[i])
  out[i + 1] = fmt(s + r)
end
return out
`);

/** KEYS: L1..Ln, E1..En. Returns used_1..used_n (settled + live holds). */
const USAGE = new LuaScript(`${COMMON}
local n = #KEYS / 2
local now = clock()
local out = {}
for i = 1, n do
  local s, r = purge(KEYS[i], KEYS[n + i], now)
  out[i] = fmt(s + r)
end
return out
`);

/**
 * BudgetStore shared by every replica through one Redis: each operation is one Lua script (EVALSHA),
 * which Redis runs atomically, so `reserve` checks all caps and books all of them or none, and
 * concurrent reservations from any number of replicas can never push a line past its cap.
 *
 * Failure mode: fail-closed. When Redis cannot be reached (or does not answer within the client's
 * command timeout) `reserve` resolves to a refusal (`ok: false`, every line reported at its cap, plus
 * `reason: 'budget store unavailable (redis: …)'`): the router records `budget_exceeded` for the
 * attempt and never calls the provider. `settle`/`release` never throw (the provider call already
 * happened): they are queued and replayed when Redis is back; `usage` throws StateStoreUnavailableError.
 * A reserve that timed out on the client may still have booked on the server; that hold then lapses
 * after `reservationTtlMs`, like one of a crashed replica.
 */
export class RedisBudgetStore implements BudgetStore {
  private readonly prefix: string;
  private readonly reservationTtlMs: number;
  private readonly settleGraceMs: number;
  private readonly windowGraceMs: number;
  private readonly maxPending: number;
  private pending: Pending[] = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisBudgetStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? '{switchyard}:';
    this.reservationTtlMs = options.reservationTtlMs ?? 10 * MINUTE;
    this.settleGraceMs = options.settleGraceMs ?? HOUR;
    this.windowGraceMs = options.windowGraceMs ?? 10 * MINUTE;
    this.maxPending = options.maxPendingSettlements ?? 10_000;
    if (!(this.reservationTtlMs > 0)) throw new RangeError(`reservationTtlMs must be > 0, got ${this.reservationTtlMs}`);
  }

  async reserve(amountUsd: number, lines: readonly BudgetLine[]): Promise<ReserveResult> {
    if (!(amountUsd >= 0)) throw new RangeError(`reservation amount must be ≥ 0, got ${amountUsd}`);
    const id = randomUUID();
    const keys = [this.recordKey(id), ...lines.map((l) => this.lineKey(l)), ...lines.map((l) => this.holdsKey(l))];
    const descriptor = JSON.stringify(lines.map(({ key, windowId, capUsd }) => ({ key, windowId, capUsd })));
    const args: Array<string | number> = [num(amountUsd), id, this.reservationTtlMs, this.reservationTtlMs + this.settleGraceMs, descriptor, num(EPSILON)];
    for (const line of lines) args.push(num(line.capUsd), this.lineTtlMs(line.windowId));
    let reply: string[];
    try {
      reply = (await RESERVE.run(this.redis, keys, args)) as string[];
    } catch (err) {
      return this.unavailableRefusal(lines, err);
    }
    if (this.pending.length) void this.flushPending();
    const usage = lines.map((line, i) => ({ key: line.key, windowId: line.windowId, capUsd: line.capUsd, usedUsd: Number(reply[2 + i]) }));
    const remainingUsd = usage.reduce((min, l) => Math.min(min, l.capUsd - l.usedUsd), Infinity);
    if (reply[0] === 'ok') return { ok: true, reservationId: id, remainingUsd, lines: usage };
    return { ok: false, blockedBy: Number(reply[1]), remainingUsd, lines: usage };
  }

  async settle(reservationId: string, actualUsd: number): Promise<LineUsage[]> {
    try {
      return await this.runSettle(reservationId, actualUsd);
    } catch (err) {
      this.queue({ reservationId, actualUsd }, err);
      return [];
    }
  }

  release(reservationId: string): Promise<LineUsage[]> {
    return this.settle(reservationId, 0);
  }

  async usage(lines: readonly BudgetLine[]): Promise<LineUsage[]> {
    if (lines.length === 0) return [];
    let reply: string[];
    try {
      reply = (await USAGE.run(this.redis, [...lines.map((l) => this.lineKey(l)), ...lines.map((l) => this.holdsKey(l))], [])) as string[];
    } catch (err) {
      throw new StateStoreUnavailableError('redis', 'budget usage', err);
    }
    return lines.map((line, i) => ({ key: line.key, windowId: line.windowId, capUsd: line.capUsd, usedUsd: Number(reply[i]) }));
  }

  /** Settlements waiting for Redis to come back. */
  get pendingSettlements(): number {
    return this.pending.length;
  }

  /**
   * Replays queued settlements now. Done after every successful reservation; call it on the client's
   * 'ready' event too (createStateStores does).
   */
  flushPending(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.length === 0) return Promise.resolve();
    const run = async () => {
      while (this.pending.length) {
        const next = this.pending[0];
        try {
          await this.runSettle(next.reservationId, next.actualUsd);
        } catch {
          return; // still unreachable: keep the queue for the next reconnect
        }
        this.pending.shift();
      }
    };
    const flushing = run().finally(() => {
      if (this.flushing === flushing) this.flushing = undefined;
    });
    this.flushing = flushing;
    return flushing;
  }

  private async runSettle(reservationId: string, actualUsd: number): Promise<LineUsage[]> {
    const reply = (await SETTLE.run(this.redis, [this.recordKey(reservationId)], [num(Math.max(0, actualUsd)), reservationId])) as string[];
    if (reply.length === 0) return [];
    const lines = JSON.parse(reply[0]) as BudgetLine[];
    return lines.map((line, i) => ({ key: line.key, windowId: line.windowId, capUsd: line.capUsd, usedUsd: Number(reply[i + 1]) }));
  }

  private queue(item: Pending, err: unknown): void {
    this.pending.push(item);
    if (this.pending.length > this.maxPending) this.pending.shift();
    this.options.logger?.warn(
      `budget settle of ${item.reservationId} ($${item.actualUsd}) deferred, redis unavailable: ${describeCause(err)} (${this.pending.length} pending; replayed on reconnect)`,
    );
  }

  private unavailableRefusal(lines: readonly BudgetLine[], err: unknown): RedisReserveRefusal {
    const reason = `budget store unavailable (redis: ${describeCause(err)})`;
    this.options.logger?.warn(`budget reservation refused: ${reason}`);
    // No headroom can be proven: report every cap as used up, so the guard refuses (fail-closed).
    return { ok: false, blockedBy: 0, remainingUsd: 0, lines: lines.map(({ key, windowId, capUsd }) => ({ key, windowId, capUsd, usedUsd: capUsd })), reason, unavailable: true };
  }

  private lineKey(line: BudgetLine): string {
    return `${this.prefix}budget:l:${line.key.length}:${line.key}:${line.windowId}`;
  }

  private holdsKey(line: BudgetLine): string {
    return `${this.prefix}budget:e:${line.key.length}:${line.key}:${line.windowId}`;
  }

  private recordKey(id: string): string {
    return `${this.prefix}budget:r:${id}`;
  }

  /** Window keys live a little longer than the window itself (the TTL is set on the first write). */
  private lineTtlMs(windowId: string): number {
    return windowLengthMs(windowId) + Math.max(this.windowGraceMs, this.reservationTtlMs);
  }
}

/** Numbers as Redis arguments, without losing precision (JS prints the shortest exact form). */
function num(x: number): string {
  return Number.isFinite(x) ? String(x) : x > 0 ? '1e308' : '-1e308';
}

/** Length of the window a `windowId` names (`hour:2025-03-01T14` -> 1 h); unknown kinds: a month. */
export function windowLengthMs(windowId: string): number {
  return WINDOW_MS[windowId.slice(0, windowId.indexOf(':'))] ?? WINDOW_MS.month;
}
