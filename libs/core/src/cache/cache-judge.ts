import type { ChatMessage, TokenUsage } from '../ports/provider';

/**
 * Verification of a semantic hit by a judge: a designated arm (a class's `cache.verifyWith`) is asked
 * whether the cached question and the new one ask for the same information. Optional per class: it
 * costs a provider call (small: a two-line prompt, a one-word answer) on every semantic hit, and buys
 * a check of meaning the word-level guards cannot make (a changed attribute: "boiling point" vs
 * "freezing point"). Anything but a clear SAME is a miss: a judge that rambles, fails or is too slow
 * never lets a hit through.
 */
export const JUDGE_SYSTEM_PROMPT =
  'You check a cache. Two user questions follow. Reply SAME if one answer would correctly answer both ' +
  '(a paraphrase), or DIFFERENT if they ask for different information (another entity, number, date, ' +
  'direction, person, negation or kind of answer). Reply with that one word only.';

/** Output tokens the judge may use: the one word and nothing else. */
export const JUDGE_MAX_TOKENS = 4;

export function judgeMessages(cachedQuestion: string, question: string): ChatMessage[] {
  return [
    { role: 'system', content: JUDGE_SYSTEM_PROMPT },
    { role: 'user', content: `Question 1: ${cachedQuestion}\nQuestion 2: ${question}` },
  ];
}

/** True only for a reply that is SAME (any case, optional punctuation). */
export function judgedSame(reply: string): boolean {
  return /^\W*same\W*$/i.test(reply.trim());
}

/** What a verification cost and concluded: the trace and the budget get the cost, the lookup the verdict. */
export interface JudgeVerdict {
  arm: string;
  same: boolean;
  costUsd: number;
  latencyMs: number;
  usage?: TokenUsage;
  /** The judge could not answer (error, timeout, budget refused): the hit is not served. */
  error?: string;
}

/** Asks the judge about one candidate hit; bound to the request being looked up. */
export type CacheVerifier = (cachedQuestion: string, question: string) => Promise<JudgeVerdict>;
