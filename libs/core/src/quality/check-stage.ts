import type { RouterEvents } from '../events/router-events';
import type { QualitySink } from '../outcome/quality-observation';
import type { Clock } from '../ports/clock';
import { describeExclusions, type Answer, type Next, type Run } from '../routing/route-run';
import type { RunGuard } from '../routing/run-guard';
import type { SelectionStage } from '../routing/selection-stage';
import type { AnswerChecks, CheckFailure } from './answer-checks';
import { isJsonContractFailure } from './json-contract';

export interface CheckStageOptions {
  clock: Clock;
  events: RouterEvents;
  guard: RunGuard;
  selection: SelectionStage;
  answerChecks?: AnswerChecks;
  qualitySinks: readonly QualitySink[];
}

/** The start of a check_failed detail when the request's JSON mode was not met. */
const JSON_MODE_UNMET = 'the request asked for JSON (params.responseFormat) and no arm answered with JSON that passes the check';

/** The answer checks: every answer is a quality observation, and a rejected one falls back to another arm. */
export class CheckStage {
  constructor(private readonly options: CheckStageOptions) {}

  /**
   * Runs the answer checks: each answer is one quality observation for its arm and class (learnt
   * on every answer, at once). Returns the failed checks when the class rejects such an answer.
   */
  check(run: Run, answer: Answer): CheckFailure[] | undefined {
    const checks = this.options.answerChecks;
    if (!checks) return undefined;
    const { request } = run;
    const failed = checks.run(request, answer.text, answer.finishReason);
    // Streamed text is already with the caller: a failed check is learnt from, it cannot be taken back.
    // JSON mode is a contract with the caller, whatever the class's own check settings.
    const rejected = failed.length > 0 && !run.stream && (checks.rejects(request.class) || failed.some(isJsonContractFailure));
    const observation = { arm: answer.arm.id, requestClass: request.class, score: failed.length ? 0 : 1, kind: 'check' as const, source: failed[0]?.check ?? 'all', id: `${request.id}:${answer.attempt}:check` };
    for (const sink of this.options.qualitySinks) sink.recordQuality(observation);
    this.options.events.emit({ type: 'answer.checked', requestId: request.id, at: this.options.clock.now(), arm: answer.arm.id, requestClass: request.class, failed, rejected });
    return rejected ? failed : undefined;
  }

  /** A rejected answer: fall back to an arm not tried yet, else fail with check_failed. */
  afterRejection(run: Run, answer: Answer, failed: CheckFailure[]): Next {
    const { clock, events, selection } = this.options;
    const outcome = run.attempts.findLast((a) => a.arm === answer.arm.id && a.kind === 'ok');
    if (outcome) outcome.rejectedBy = failed.map((f) => f.check);
    const details = failed.map((f) => f.detail).join('; ');
    const why = failed.some(isJsonContractFailure) ? `${JSON_MODE_UNMET}: ${details}` : details;
    const stop = this.options.guard.check(run);
    if (stop) return { ...stop, failure: 'check_failed', detail: why };
    const reason = `answer from ${answer.arm.id} failed the ${failed.map((f) => f.check).join(', ')} check`;
    const fallback = selection.select(run);
    if (!fallback.decision) {
      events.emit({ type: 'fallback', requestId: run.request.id, at: clock.now(), from: answer.arm.id, reason: `${reason}: no arm left` });
      return { kind: 'stop', failure: 'check_failed', detail: `${why}; ${describeExclusions(fallback.excluded)}` };
    }
    events.emit({ type: 'fallback', requestId: run.request.id, at: clock.now(), from: answer.arm.id, to: fallback.decision.chosen.id, reason });
    selection.emitDecision(run, fallback.decision);
    return { kind: 'attempt', arm: fallback.decision.chosen, role: 'check_fallback' };
  }
}
