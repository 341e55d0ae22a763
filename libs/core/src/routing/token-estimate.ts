import type { ChatMessage } from '../ports/provider';

/**
 * A cheap, conservative prompt-size estimate (≈ 4 characters per token plus per-message
 * framing). It decides context-window eligibility before a call; it errs high so an arm whose
 * window is too small is skipped rather than burned on a certain `context_overflow`.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) chars += m.content.length;
  return Math.ceil(chars / 4) + 4 * messages.length + 3;
}
