import type { BudgetGuard } from '../budget/budget-guard';
import type { RouterEvents } from '../events/router-events';
import type { Clock } from '../ports/clock';
import type { ProviderRegistry } from '../ports/provider';
import type { ArmTable } from '../routing/arm-table';
import type { FinishStage } from '../routing/finish-stage';
import type { RouteResult } from '../routing/route-result';
import { runCost, type Answer, type Run } from '../routing/route-run';
import { judgeFor } from './judge-hit';
import type { CacheStage as LookupStage, ResponseCache } from './response-cache';

export interface CacheStageOptions {
  cache: ResponseCache;
  clock: Clock;
  events: RouterEvents;
  providers: ProviderRegistry;
  budget?: BudgetGuard;
  table: ArmTable;
  finish: FinishStage;
}

/**
 * The response cache around routing: a cached answer before routing (mode read-write), one
 * request answering a question at a time (single flight), the checked answer written after, and
 * a cached answer as the last resort when every arm failed.
 */
export class ResponseCacheStage {
  constructor(private readonly options: CacheStageOptions) {}

  /** The single flight of a read-write request (after a `first` lookup set `run.cache`). */
  joinFlight(run: Run): ReturnType<ResponseCache['joinFlight']> | undefined {
    return run.cache?.policy.mode === 'read-write' ? this.options.cache.joinFlight(run.cache) : undefined;
  }

  /** Waits for another request's answer, within this request's deadline; false when it ran out. */
  async awaitFlight(run: Run, done: Promise<void>): Promise<boolean> {
    const timer = new AbortController();
    const remaining = run.deadlineAt - this.options.clock.now();
    try {
      return await Promise.race([done.then(() => true), this.options.clock.sleep(Math.max(0, remaining), timer.signal).then(() => false)]);
    } finally {
      timer.abort('flight done');
    }
  }

  /** A cached answer for this request at `stage`, or undefined (and the probe kept for the write). */
  async lookup(run: Run, stage: LookupStage): Promise<RouteResult | undefined> {
    const { cache, clock, providers, budget, events, table } = this.options;
    if (stage === 'first') {
      const probe = cache.probe(run.request);
      if (!cache.active(probe)) return undefined;
      run.cache = probe;
    }
    const judgeArm = run.cache!.policy.verifyWith;
    const verifier = judgeArm ? judgeFor(run.request, judgeArm, { clock, providers, budget, arms: () => table.arms }) : undefined;
    const found = await cache.lookup(run.request, run.cache!, stage, verifier);
    if (found.result === 'skipped') return undefined;
    const judge = found.judge ? { judge: found.judge } : {};
    if (found.judge) run.judgeCostUsd = (run.judgeCostUsd ?? 0) + found.judge.costUsd;
    if (found.result !== 'hit') {
      events.emit({ type: 'cache.lookup', requestId: run.request.id, at: clock.now(), stage, result: found.result, embedMs: found.embedMs, rejected: found.rejected, ...judge });
      return undefined;
    }
    const { entry, kind, similarity, ageMs } = found.hit;
    const audit = { entryKey: entry.key, firstRequestId: entry.requestId };
    events.emit({ type: 'cache.lookup', requestId: run.request.id, at: clock.now(), stage, result: 'hit', kind, similarity, ageMs, embedMs: run.cache!.embedMs, ...audit, cachedQuestion: entry.question, ...judge });
    const judgeUsage = found.judge?.usage ?? { inputTokens: 0, outputTokens: 0 };
    return this.options.finish.finish(run, {
      status: 'ok',
      output: { text: entry.text, finishReason: entry.finishReason },
      cache: { kind, similarity, ageMs, lastResort: stage === 'last_resort', arm: entry.arm, model: entry.model, ...audit },
      cacheKey: entry.key,
      usage: { ...judgeUsage, costUsd: runCost(run) },
    });
  }

  /** Writes a checked answer; awaited so a repeat right after the reply finds it. */
  async store(run: Run, answer: Answer): Promise<void> {
    // An answer to a rewritten prompt answers that prompt, not the caller's.
    if (run.rewritten) return;
    const { clock, events } = this.options;
    const stored = await this.options.cache.store(run.request, run.cache!, {
      text: answer.text,
      finishReason: answer.finishReason,
      arm: answer.arm.id,
      provider: answer.arm.provider,
      model: answer.model,
    });
    if (stored.result === 'stored') {
      run.cachedAs = stored.key;
      events.emit({ type: 'cache.stored', requestId: run.request.id, at: clock.now(), result: 'stored', semantic: stored.semantic });
    } else {
      events.emit({ type: 'cache.stored', requestId: run.request.id, at: clock.now(), ...stored });
    }
  }
}
