import type { RouterEvents } from '../events/router-events';
import type { ChatMessage } from '../ports/provider';
import { summaryPrompt, summaryTurn, trimToFit, withSummary, type ReductionMethod, type TrimResult } from '../reduction/context-reduction';
import { overflowTokenCount } from '../reduction/overflow-count';
import type { ClassReduction, ReductionSettings, RunReduction } from '../reduction/reduction-settings';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { ArmConfig } from './arm';
import type { ArmTable } from './arm-table';
import type { EligibilityStage } from './eligibility-stage';
import type { Run } from './route-run';
import { sideCall, type SideCall, type SideCallDeps } from './side-call';
import { estimatePromptTokens } from './token-estimate';

/** How much a provider's count exceeds the estimate when its overflow message gives no number. */
const UNKNOWN_UNDERCOUNT = 2;

export interface ReductionStageOptions extends SideCallDeps {
  events: RouterEvents;
  table: ArmTable;
  eligibility: EligibilityStage;
  settings: ReductionSettings;
}

/**
 * Context reduction as a fallback step: when the arms a request could still use are ruled out only
 * by their context windows, the conversation is shrunk to fit the largest of those windows (less a
 * safety margin, since the prompt size is an estimate) and routing goes on as usual. `trim` drops
 * the oldest turns (the system prompt and the last user turn always stay); `summarize` also asks
 * the class's summariser arm to condense the dropped turns into one system turn, a call the budget
 * pays for like an attempt. At most once per request; a class without `reduction` never reduces.
 */
export class ReductionStage {
  constructor(private readonly options: ReductionStageOptions) {}

  /** True when the run's messages were reduced and some arm's window now holds them. */
  async reduce(run: Run): Promise<boolean> {
    if (run.reductionTried) return false;
    const wanted = this.options.settings.forClass(run.request.class);
    if (wanted.method === 'off') return false;
    const target = this.target(run);
    return target ? this.apply(run, wanted, target) : false;
  }

  /**
   * The provider refused the prompt as too long for `arm` although the estimate said it fitted (its
   * tokenizer counts more than ≈ 4 characters a token: code, other scripts), and no larger window is
   * left: reduce for `arm` itself, scaling the estimate by what the provider counted (its error
   * message), or taking the prompt to be twice the estimate when the message gives no count. True
   * when reduced: the caller tries `arm` again.
   */
  async reduceAfterOverflow(run: Run, outcome: AttemptOutcome, arm: ArmConfig): Promise<boolean> {
    if (run.reductionTried || outcome.kind !== 'context_overflow') return false;
    const wanted = this.options.settings.forClass(run.request.class);
    if (wanted.method === 'off') return false;
    const counted = overflowTokenCount(outcome.message);
    const undercount = counted !== undefined && counted > run.promptTokens ? counted / run.promptTokens : UNKNOWN_UNDERCOUNT;
    const room = arm.contextWindow - Math.min(run.request.params.maxTokens ?? 0, arm.maxOutputTokens);
    const margin = 1 - this.options.settings.margin;
    // Whatever the count says, the prompt the provider refused must shrink.
    return this.apply(run, wanted, { arm, limit: Math.floor(Math.min((room * margin) / undercount, run.promptTokens * margin)) });
  }

  private async apply(run: Run, wanted: Exclude<ClassReduction, { method: 'off' }>, target: { arm: ArmConfig; limit: number }): Promise<boolean> {
    run.reductionTried = true;
    const { clock, events } = this.options;
    const startedAt = clock.now();
    const fromTokens = run.promptTokens;
    const summaryMaxTokens = wanted.method === 'summarize' ? wanted.summaryMaxTokens : 0;
    // Room for the summary turn itself: its framing text and the summary's tokens.
    const reserve = wanted.method === 'summarize' ? estimatePromptTokens([summaryTurn('')]) + summaryMaxTokens : 0;
    // With no room left for a summary beside the turns that must stay, it is not asked for: only trimmed.
    const roomy = reserve ? trimToFit(run.messages, target.limit, reserve) : undefined;
    const trim = roomy ?? trimToFit(run.messages, target.limit);
    const base = { type: 'context.reduced' as const, requestId: run.request.id, requestClass: run.request.class, startedAt, fromTokens, targetArm: target.arm.id, limitTokens: target.limit };
    if (!trim) {
      events.emit({ ...base, at: clock.now(), method: wanted.method, reduced: false, toTokens: fromTokens, droppedTurns: 0, reason: `the system prompt and the last user turn alone do not fit the ${target.limit} tokens left on ${target.arm.id}` });
      return false;
    }
    let method: ReductionMethod = 'trim';
    let messages: ChatMessage[] = trim.kept;
    let summary: SideCall | undefined;
    if (wanted.method === 'summarize' && !roomy) {
      summary = { arm: wanted.summarizeWith, costUsd: 0, startedAt, latencyMs: 0, error: `no room for a ${summaryMaxTokens}-token summary beside the system prompt and the last user turn` };
    } else if (wanted.method === 'summarize' && trim.dropped.length > 0) {
      summary = await this.summarise(run, wanted.summarizeWith, trim, summaryMaxTokens);
      if (summary.text !== undefined && summary.text.trim() === '') summary.error = 'the summariser answered with nothing';
      if (summary.text !== undefined && !summary.error) {
        const summarised = withSummary(trim, summary.text.trim());
        // A summary longer than asked (a provider counting tokens differently) must not break the fit.
        if (estimatePromptTokens(summarised) <= target.limit) {
          messages = summarised;
          method = 'summarize';
        } else {
          summary.error = `the summary (~${estimatePromptTokens([summaryTurn(summary.text)])} tokens) does not fit beside the kept turns`;
        }
      }
    }
    const toTokens = estimatePromptTokens(messages);
    const reduction: RunReduction = {
      method,
      fromTokens,
      toTokens,
      droppedTurns: trim.dropped.length,
      targetArm: target.arm.id,
      costUsd: summary?.costUsd ?? 0,
      ...(summary ? { summary: { arm: summary.arm, costUsd: summary.costUsd, latencyMs: summary.latencyMs, ...(summary.error ? { error: summary.error } : {}) } } : {}),
    };
    run.messages = messages;
    run.promptTokens = toTokens;
    run.reduction = reduction;
    const summariser = summary?.outcome && this.options.table.arms.find((a) => a.id === summary.arm);
    const summaryCall = summariser ? { summaryCall: { provider: summariser.provider, model: summariser.model, outcome: summary!.outcome! } } : {};
    events.emit({ ...base, at: clock.now(), reduced: true, method, toTokens, droppedTurns: reduction.droppedTurns, ...(reduction.summary ? { summary: reduction.summary } : {}), ...summaryCall });
    return true;
  }

  /**
   * The arm to reduce for: among the arms the request could use if its prompt were empty, the one
   * with the most room for the prompt. Undefined when such an arm already fits (something else
   * rules the others out) or there is none.
   */
  private target(run: Run): { arm: ArmConfig; limit: number } | undefined {
    const { eligibility, table, settings } = this.options;
    const candidates = eligibility.check({ ...run, promptTokens: 0 }, table.arms, run.tried).eligible;
    let best: { arm: ArmConfig; room: number } | undefined;
    for (const arm of candidates) {
      const room = arm.contextWindow - Math.min(run.request.params.maxTokens ?? 0, arm.maxOutputTokens);
      if (room >= run.promptTokens) return undefined;
      if (!best || room > best.room) best = { arm, room };
    }
    return best && { arm: best.arm, limit: Math.floor(best.room * (1 - settings.margin)) };
  }

  /** The summariser's call on the dropped turns, cut to what its own window holds (oldest first out). */
  private async summarise(run: Run, armId: string, trim: TrimResult, maxTokens: number): Promise<SideCall> {
    const { clock, table, settings } = this.options;
    const arm = table.arms.find((a) => a.id === armId);
    if (!arm) return { arm: armId, costUsd: 0, startedAt: clock.now(), latencyMs: 0, error: `summariser arm ${armId} is not in the routing table` };
    const room = Math.floor((arm.contextWindow - Math.min(maxTokens, arm.maxOutputTokens)) * (1 - settings.margin));
    let dropped = trim.dropped;
    while (dropped.length > 1 && estimatePromptTokens(summaryPrompt(dropped, maxTokens)) > room) dropped = dropped.slice(1);
    if (estimatePromptTokens(summaryPrompt(dropped, maxTokens)) > room) {
      return { arm: armId, costUsd: 0, startedAt: clock.now(), latencyMs: 0, error: `the dropped turns do not fit the summariser's ${arm.contextWindow}-token window` };
    }
    return sideCall(this.options, run, arm, summaryPrompt(dropped, maxTokens), Math.min(maxTokens, arm.maxOutputTokens));
  }
}
