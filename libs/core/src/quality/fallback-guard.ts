import type { ChatMessage } from '../ports/provider';

/**
 * A request class's check on fallback answers (routing table `classes.<name>.fallbackGuard`),
 * run before an answer that did not come from the first-choice arm is published:
 * - `similarity`: the answer's embedding (the cache's embeddings endpoint) must be at least
 *   `minSimilarity` (cosine) close to one of the class's last `recent` accepted answers;
 * - `judge`: an arm is asked, with the class's `prompt`, whether the answer is acceptable (PASS/FAIL).
 */
export type ClassFallbackGuard =
  | { kind: 'similarity'; minSimilarity: number; recent: number }
  | { kind: 'judge'; judge: string; prompt: string };

/**
 * Accepted answers a class needs before the similarity guard judges: with fewer there is nothing
 * to compare with, and the guard passes (saying so).
 */
export const MIN_ACCEPTED_ANSWERS = 3;

/** Output tokens the judge may use: one word. */
export const GUARD_JUDGE_MAX_TOKENS = 4;

/**
 * `pass`: publish; `fail`: fall back again (or degrade); `skipped`: too few accepted answers to
 * compare with; `error`: the embedding or the judge call failed. Only `fail` stops an answer: a
 * guard that cannot judge must not turn an outage's fallbacks into failures.
 */
export type GuardResult = 'pass' | 'fail' | 'skipped' | 'error';

export interface GuardVerdict {
  method: ClassFallbackGuard['kind'];
  result: GuardResult;
  /** `similarity`: the highest cosine similarity to the recent accepted answers. */
  score?: number;
  /** `similarity`: accepted answers compared with. */
  compared?: number;
  /** `judge`: its arm and what the call cost (part of the request's cost). */
  arm?: string;
  costUsd?: number;
  reason: string;
}

/** The guards per class, replaced as a whole by a routing-table reload. */
export class FallbackGuardSettings {
  private classes: ReadonlyMap<string, ClassFallbackGuard> = new Map();

  constructor(classes: Readonly<Record<string, ClassFallbackGuard>> = {}) {
    this.update(classes);
  }

  update(classes: Readonly<Record<string, ClassFallbackGuard>>): void {
    this.classes = new Map(Object.entries(classes));
  }

  forClass(requestClass: string): ClassFallbackGuard | undefined {
    return this.classes.get(requestClass);
  }
}

/** The judge's prompt: the class's instruction, then the question and the answer to judge. */
export function guardJudgeMessages(prompt: string, question: string, answer: string): ChatMessage[] {
  return [
    { role: 'system', content: `${prompt}\nReply PASS if the answer is acceptable, FAIL if it is not. Reply with that one word only.` },
    { role: 'user', content: `Question:\n${question}\n\nAnswer:\n${answer}` },
  ];
}

/** True only for a clear PASS (any case, optional punctuation): a judge that rambles fails the answer. */
export function judgedPass(reply: string): boolean {
  return /^\W*pass\W*$/i.test(reply.trim());
}
