import { budgetExceededOutcome } from '../budget/budget-guard';
import type { RouterEvents } from '../events/router-events';
import type { AttemptRole } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { ChatMessage } from '../ports/provider';
import { continuationMessages, shouldContinue } from '../resilience/continuation';
import type { HangWatch } from '../resilience/hang-watch';
import { raceHedged, type HedgeLeg } from '../resilience/hedger';
import type { ContinuationConfig, HedgeConfig } from '../resilience/resilience-config';
import type { RetryBudget } from '../resilience/retry-budget';
import type { LatencyEstimator } from '../stats/latency-estimator';
import type { StreamResume } from '../streaming/stream-resume';
import type { ArmConfig } from './arm';
import type { ArmDrain } from './arm-drain';
import type { ArmTable } from './arm-table';
import type { AttemptAccounting } from './attempt-accounting';
import { runAttempt, type AttemptResult } from './attempt-runner';
import type { Answer, Next, Run } from './route-run';
import type { RunGuard } from './run-guard';
import type { SelectionStage } from './selection-stage';

export interface AttemptStageOptions {
  clock: Clock;
  events: RouterEvents;
  table: ArmTable;
  drain: ArmDrain;
  guard: RunGuard;
  selection: SelectionStage;
  accounting: AttemptAccounting;
  hangWatch: HangWatch;
  streams: StreamResume;
  retryBudget: RetryBudget;
  hedge: HedgeConfig;
  continuation: ContinuationConfig;
  /** Hedge delay source (P95 per arm) when `hedge.delayMs` is not set. */
  latency?: LatencyEstimator;
}

/**
 * Runs the provider calls of a decision: one attempt or a hedged pair, and the continuations of an
 * answer the length limit cut. Each attempt is accounted for, watched for a hang, and (streamed)
 * resumed from what the caller already has.
 */
export class AttemptStage {
  constructor(private readonly options: AttemptStageOptions) {}

  /** One attempt, or a hedged pair when the request asks for hedging and a delay is known. */
  async exchange(run: Run, next: Extract<Next, { kind: 'attempt' }>): Promise<{ results: AttemptResult[]; winner?: AttemptResult }> {
    const { clock, events, selection } = this.options;
    const leg = (arm: ArmConfig, role: AttemptRole): HedgeLeg => ({ arm: arm.id, run: (signal) => this.attempt(run, arm, role, { signal }) });
    const delayMs = this.hedgeDelay(run, next.arm);
    if (delayMs === undefined) {
      const result = await this.attempt(run, next.arm, next.role, { signal: run.signal });
      return { results: [result], winner: result.reply && result.outcome.kind === 'ok' ? result : undefined };
    }
    const race = await raceHedged({
      clock,
      delayMs,
      signal: run.signal,
      primary: leg(next.arm, next.role),
      startHedge: () => {
        const hedging = selection.select(run);
        if (!hedging.decision || !this.options.retryBudget.canRetry(hedging.decision.chosen.id)) return undefined;
        const hedge = hedging.decision.chosen;
        selection.emitDecision(run, hedging.decision);
        events.emit({ type: 'hedge.started', requestId: run.request.id, at: clock.now(), primary: next.arm.id, hedge: hedge.id, attempt: run.started + 1, delayMs });
        return leg(hedge, 'hedge');
      },
    });
    if (race.hedged && race.winner) {
      const loser = race.results.find((r) => r !== race.winner)!;
      events.emit({ type: 'hedge.won', requestId: run.request.id, at: clock.now(), winner: race.winner.outcome.arm, loser: loser.outcome.arm, loserCancelled: loser.outcome.kind === 'cancelled' });
    }
    return race;
  }

  /** A successful reply, continued while it was cut by the length limit below what was asked. */
  async complete(run: Run, winner: AttemptResult): Promise<Answer> {
    const { continuation, guard } = this.options;
    const arm = this.options.table.armFor(winner.outcome.arm);
    let reply = winner.reply!;
    const texts = [reply.text];
    const usage = { ...reply.usage };
    const requested = run.request.params.maxTokens;
    for (let n = 1; n <= continuation.maxContinuations && shouldContinue(reply, usage.outputTokens, requested) && !guard.check(run); n++) {
      const attempt = run.started + 1;
      this.options.events.emit({ type: 'continuation', requestId: run.request.id, at: this.options.clock.now(), arm: arm.id, attempt, continuation: n, outputTokensSoFar: usage.outputTokens });
      const messages = continuationMessages(run.messages, run.stream ? run.stream.sent : texts.join(''), continuation.prompt);
      const maxTokens = requested === undefined ? undefined : requested - usage.outputTokens;
      const next = await this.attempt(run, arm, 'continuation', { signal: run.signal, messages, maxTokens });
      // A failed continuation still leaves a usable (if cut) answer.
      if (!next.reply || next.outcome.kind !== 'ok') break;
      reply = next.reply;
      texts.push(reply.text);
      usage.inputTokens += reply.usage.inputTokens;
      usage.outputTokens += reply.usage.outputTokens;
    }
    // A streamed answer is everything the caller got, a mid-stream switch's earlier arm included.
    const text = run.stream ? run.stream.sent : texts.join('');
    return { arm, attempt: winner.outcome.attempt, text, finishReason: reply.finishReason, model: winner.reply!.model || arm.model, usage, ...(reply.toolCalls?.length ? { toolCalls: reply.toolCalls } : {}) };
  }

  private hedgeDelay(run: Run, arm: ArmConfig): number | undefined {
    const { hedge } = this.options;
    const wanted = run.request.routing.hedge ?? (hedge.enabled || hedge.classes.includes(run.request.class));
    // Two legs cannot stream into one answer.
    if (!wanted || run.stream) return undefined;
    const delay = hedge.delayMs ?? this.options.latency?.p95(arm.id);
    return delay === undefined ? undefined : Math.max(hedge.minDelayMs, delay);
  }

  /** Runs one provider call and records its outcome everywhere it matters. */
  private async attempt(run: Run, arm: ArmConfig, role: AttemptRole, opts: { signal?: AbortSignal; messages?: ChatMessage[]; maxTokens?: number }): Promise<AttemptResult> {
    const { clock, events, accounting, drain } = this.options;
    const attempt = ++run.started;
    run.tried.push(arm.id);
    accounting.begin(arm, role);
    const { request } = run;
    // No await at all without a budget: virtual-clock tests count microtask turns.
    const reserving = accounting.reserve(request, arm, run.promptTokens);
    const reservation = reserving ? await reserving : undefined;
    if (reservation && !reservation.ok) {
      // Another request took the headroom between eligibility and now: no call, no charge.
      const outcome = budgetExceededOutcome(arm, attempt, clock.now(), reservation.reason);
      run.attempts.push(outcome);
      events.emit({ type: 'budget.refused', requestId: request.id, at: clock.now(), arm: arm.id, reason: reservation.reason });
      events.emit({ type: 'attempt.finished', requestId: request.id, at: clock.now(), outcome });
      return { outcome };
    }
    if (reservation) events.emit({ type: 'budget.reserved', requestId: request.id, at: clock.now(), arm: arm.id, amountUsd: reservation.amountUsd });
    const maxTokens = opts.maxTokens ?? request.params.maxTokens;
    const capacity = accounting.take(arm, run.promptTokens, maxTokens);
    const resumed = run.stream && !opts.messages ? this.options.streams.resume(run, arm, attempt, maxTokens) : undefined;
    events.emit({ type: 'attempt.started', requestId: run.request.id, at: clock.now(), arm: arm.id, attempt, model: arm.model, provider: arm.provider });
    const hung = this.options.hangWatch.watch(run, arm, attempt, opts.signal);
    drain.begin(arm.id);
    const result = await runAttempt({
      arm,
      // A stream that has started is not hung: from its first piece the stall watch judges it.
      provider: this.options.streams.providerFor(run, arm, () => hung?.stop()),
      call: {
        requestId: request.id,
        attempt,
        messages: resumed?.messages ?? opts.messages ?? run.messages,
        maxTokens: resumed ? resumed.maxTokens : maxTokens,
        temperature: request.params.temperature,
        topP: request.params.topP,
        responseFormat: request.params.responseFormat,
        stop: request.params.stop,
        tools: request.params.tools,
        toolChoice: request.params.toolChoice,
      },
      deadlineAt: run.deadlineAt,
      signal: opts.signal,
      clock,
      role,
    });
    const { outcome } = result;
    // It answered after all: the early failure was wrong, take it back.
    if (hung?.stop() && outcome.kind === 'ok') accounting.retractHung(arm, request.class);
    accounting.settleTokens(arm, capacity, outcome);
    if (reservation) {
      await accounting.settleBudget(reservation, outcome.costUsd);
      events.emit({ type: 'budget.settled', requestId: request.id, at: clock.now(), arm: arm.id, reservedUsd: reservation.amountUsd, actualUsd: outcome.costUsd });
    }
    run.attempts.push(outcome);
    accounting.learn(outcome, capacity, request);
    // After the outcome is learnt: a drained arm's state may be dropped from here on.
    drain.end(arm.id);
    events.emit({ type: 'attempt.finished', requestId: request.id, at: clock.now(), outcome });
    return result;
  }
}
