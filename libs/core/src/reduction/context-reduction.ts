import type { ChatMessage } from '../ports/provider';
import { estimatePromptTokens } from '../routing/token-estimate';

/** How a class lets the router shrink a conversation that fits no eligible arm's window. */
export type ReductionMethod = 'trim' | 'summarize';

/** What the response and the trace say about a reduced request. */
export interface ReductionReport {
  method: ReductionMethod;
  /** Estimated prompt tokens before and after (token-estimate.ts: conservative, ≈ 4 chars/token). */
  fromTokens: number;
  toTokens: number;
  /** Turns removed from the prompt (replaced by one summary turn with `summarize`). */
  droppedTurns: number;
}

export interface TrimResult {
  /** System turns, then the turns kept, oldest first. */
  kept: ChatMessage[];
  /** The turns removed, oldest first (what `summarize` condenses). */
  dropped: ChatMessage[];
}

/**
 * Drops the oldest turns until the prompt fits `maxPromptTokens`: system turns and the last user
 * turn (with everything after it) always stay. A `tool` turn never outlives the assistant turn that
 * called it, and the kept conversation starts with a user turn (Anthropic requires it). Undefined
 * when even the turns that must stay do not fit.
 */
export function trimToFit(messages: readonly ChatMessage[], maxPromptTokens: number, reserveTokens = 0): TrimResult | undefined {
  const system = messages.filter((m) => m.role === 'system');
  const turns = messages.filter((m) => m.role !== 'system');
  let lastUser = -1;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i].role === 'user') {
      lastUser = i;
      break;
    }
  }
  const mustKeep = lastUser >= 0 ? lastUser : Math.max(0, turns.length - 1);
  const fits = (start: number) => estimatePromptTokens([...system, ...turns.slice(start)]) + reserveTokens <= maxPromptTokens;
  for (let start = 0; start <= mustKeep; start++) {
    // Only cut where the kept part starts with a user turn: no orphaned tool results or assistant openers.
    if (turns[start].role !== 'user' && start !== mustKeep) continue;
    if (fits(start)) return { kept: [...system, ...turns.slice(start)], dropped: turns.slice(0, start) };
  }
  return undefined;
}

/** The turn that stands in for the dropped ones after `summarize`. */
export function summaryTurn(summary: string): ChatMessage {
  return { role: 'system', content: `Summary of the earlier part of this conversation (condensed by the router to fit the model's context window):\n${summary}` };
}

/** The prompt a summarising arm gets for the dropped turns. */
export function summaryPrompt(dropped: readonly ChatMessage[], maxSummaryTokens: number): ChatMessage[] {
  const transcript = dropped.map((m) => `${m.role}: ${m.content}`).join('\n\n');
  return [
    {
      role: 'system',
      content:
        `Summarise the conversation below in at most ${maxSummaryTokens} tokens. Keep every fact, number, name, decision and open question a ` +
        'later reply may need; drop greetings and repetition. Write the summary only.',
    },
    { role: 'user', content: transcript },
  ];
}

/** Places a summary of `dropped` between the system turns and the kept turns of a trim. */
export function withSummary(trim: TrimResult, summary: string): ChatMessage[] {
  const system = trim.kept.filter((m) => m.role === 'system');
  const rest = trim.kept.filter((m) => m.role !== 'system');
  return [...system, summaryTurn(summary), ...rest];
}
