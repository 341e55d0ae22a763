import type { Embedder } from '../cache/cache-ports';
import type { RouterEvents } from '../events/router-events';
import type { ArmTable } from '../routing/arm-table';
import type { Answer, Run } from '../routing/route-run';
import { sideCall, type SideCallDeps } from '../routing/side-call';
import type { CheckFailure } from './answer-checks';
import { GUARD_JUDGE_MAX_TOKENS, guardJudgeMessages, judgedPass, MIN_ACCEPTED_ANSWERS, type ClassFallbackGuard, type FallbackGuardSettings, type GuardVerdict } from './fallback-guard';
import { RecentAnswers } from './recent-answers';

/** The arm of the request's first attempt (attempts are listed as they finish: a hedge may finish first). */
function firstChoiceOf(run: Run): string | undefined {
  let first = run.attempts[0];
  for (const a of run.attempts) if (a.attempt < first.attempt) first = a;
  return first?.arm;
}

export interface FallbackGuardStageOptions extends SideCallDeps {
  events: RouterEvents;
  table: ArmTable;
  settings: FallbackGuardSettings;
  /** The embeddings endpoint (the response cache's); the similarity guard needs it. */
  embedder?: Embedder;
  /** An embedding slower than this is abandoned (the guard then says `error` and passes). Default 2 s. */
  embedTimeoutMs?: number;
}

const DEFAULT_EMBED_TIMEOUT_MS = 2_000;

/**
 * The fallback guard: an answer that passed the answer checks but did not come from the
 * first-choice arm is checked against its class's guard before it is published; a failure is a
 * rejected answer (the router falls back again, or the request fails or degrades). Every such
 * answer is announced (`fallback.answered`) for the review stream. Accepted answers of a class
 * guarded by similarity are embedded (after the reply, off the request's path) to compare later
 * fallbacks with.
 */
export class FallbackGuardStage {
  readonly recent = new RecentAnswers();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: FallbackGuardStageOptions) {}

  /**
   * The failed guard as a check failure (to reject the answer), or undefined to publish it.
   * Synchronous (no await at all) when there is nothing to judge: virtual-clock tests count turns.
   */
  check(run: Run, answer: Answer): Promise<CheckFailure[] | undefined> | undefined {
    const guard = this.options.settings.forClass(run.request.class);
    const firstChoice = firstChoiceOf(run);
    // A turn that calls tools has its answer in the calls: no text to compare or judge.
    const toolTurn = answer.finishReason === 'tool_calls';
    if (firstChoice === undefined || answer.arm.id === firstChoice) {
      if (guard?.kind === 'similarity' && !toolTurn) this.remember(run.request.class, answer.text, guard.recent);
      return undefined;
    }
    if (guard && toolTurn) {
      this.decide(run, answer, firstChoice, guard, { verdict: { method: guard.kind, result: 'skipped', reason: 'a tool-call turn: no answer text to judge' } });
      return undefined;
    }
    if (!guard) {
      // Announced for the review stream; nothing to judge it by.
      this.decide(run, answer, firstChoice, undefined, undefined);
      return undefined;
    }
    return this.verdict(run, answer, guard).then((judged) => this.decide(run, answer, firstChoice, guard, judged));
  }

  private decide(run: Run, answer: Answer, firstChoice: string, guard: ClassFallbackGuard | undefined, judged: { verdict: GuardVerdict; vector?: Float32Array } | undefined): CheckFailure[] | undefined {
    const { events, clock } = this.options;
    const { request } = run;
    const verdict = judged?.verdict;
    if (verdict) events.emit({ type: 'fallback.guarded', requestId: request.id, at: clock.now(), requestClass: request.class, arm: answer.arm.id, verdict });
    // Streamed text is already with the caller: a failed guard is reported, it cannot be taken back.
    const rejected = verdict?.result === 'fail' && !run.stream;
    events.emit({
      type: 'fallback.answered',
      requestId: request.id,
      at: clock.now(),
      tenant: request.tenant,
      requestClass: request.class,
      firstChoice,
      arm: answer.arm.id,
      model: answer.model,
      attempts: [...run.attempts],
      ...(verdict ? { verdict } : {}),
      published: !rejected,
      text: answer.text,
    });
    if (rejected) return [{ check: 'fallback_guard', detail: verdict.reason }];
    if (guard?.kind === 'similarity' && judged?.vector) this.recent.add(request.class, judged.vector, guard.recent);
    return undefined;
  }

  /** Resolves when the accepted answers being embedded are remembered (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private async verdict(run: Run, answer: Answer, guard: ClassFallbackGuard): Promise<{ verdict: GuardVerdict; vector?: Float32Array }> {
    if (guard.kind === 'judge') return { verdict: await this.judge(run, answer, guard) };
    const compared = Math.min(this.recent.count(run.request.class), guard.recent);
    const base = { method: 'similarity' as const, compared };
    let vector: Float32Array;
    try {
      vector = await this.embed(answer.text);
    } catch (err) {
      return { verdict: { ...base, result: 'error', reason: `the answer could not be embedded (${(err as Error).message}): passed unchecked` } };
    }
    if (compared < MIN_ACCEPTED_ANSWERS) {
      return { vector, verdict: { ...base, result: 'skipped', reason: `only ${compared} accepted answers of class "${run.request.class}" to compare with (the guard needs ${MIN_ACCEPTED_ANSWERS}): passed unchecked` } };
    }
    const score = this.recent.nearest(run.request.class, vector, guard.recent)!;
    const pass = score >= guard.minSimilarity;
    const reason = `similarity ${score.toFixed(3)} to the nearest of the last ${compared} accepted answers ${pass ? '≥' : '<'} minSimilarity ${guard.minSimilarity}`;
    return { vector, verdict: { ...base, result: pass ? 'pass' : 'fail', score, reason } };
  }

  private async judge(run: Run, answer: Answer, guard: Extract<ClassFallbackGuard, { kind: 'judge' }>): Promise<GuardVerdict> {
    const arm = this.options.table.arms.find((a) => a.id === guard.judge);
    const base = { method: 'judge' as const, arm: guard.judge };
    if (!arm) return { ...base, result: 'error', costUsd: 0, reason: `judge arm ${guard.judge} is not in the routing table: passed unchecked` };
    const question = run.request.messages.findLast((m) => m.role === 'user')?.content ?? '';
    const call = await sideCall(this.options, run, arm, guardJudgeMessages(guard.prompt, question, answer.text), GUARD_JUDGE_MAX_TOKENS);
    run.guardCostUsd = (run.guardCostUsd ?? 0) + call.costUsd;
    if (call.text === undefined) return { ...base, result: 'error', costUsd: call.costUsd, reason: `the judge could not answer (${call.error}): passed unchecked` };
    const pass = judgedPass(call.text);
    return { ...base, result: pass ? 'pass' : 'fail', costUsd: call.costUsd, reason: `judge ${arm.id} answered ${JSON.stringify(call.text.trim().slice(0, 40))}` };
  }

  /** Embeds an accepted answer off the request's path; a failure only means one answer fewer to compare with. */
  private remember(requestClass: string, text: string, keep: number): void {
    if (!this.options.embedder) return;
    const work = this.embed(text).then(
      (vector) => this.recent.add(requestClass, vector, keep),
      () => undefined,
    );
    const done = work.finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  private async embed(text: string): Promise<Float32Array> {
    const { embedder, clock } = this.options;
    if (!embedder) throw new Error('no embeddings endpoint (cache.embeddings)');
    const timeoutMs = this.options.embedTimeoutMs ?? DEFAULT_EMBED_TIMEOUT_MS;
    const done = new AbortController();
    try {
      const timeout = clock.sleep(timeoutMs, done.signal).then(() => {
        throw new Error(`embedding took longer than ${timeoutMs} ms`);
      });
      return await Promise.race([embedder.embed(text, done.signal), timeout]);
    } finally {
      done.abort('embedding done');
    }
  }
}
