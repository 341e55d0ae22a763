import { questionFeatures, type QuestionFeatures } from './question-features';

/** The guards, in the order they are checked; the first that fails names the miss. */
export const SEMANTIC_GUARDS = ['entity', 'number', 'currency', 'date', 'quoted', 'order', 'person', 'negation', 'question'] as const;
export type SemanticGuard = (typeof SEMANTIC_GUARDS)[number];

/**
 * Whether a cached question's answer may be served for a new, similar one: undefined when every
 * guard passes, else the first guard that failed. Similarity says two questions are about the same
 * thing; these say they ask the same thing of it (same entities, numbers, dates and quoted text,
 * relations in the same direction, the same person, the same polarity, the same kind of answer).
 * Deterministic and conservative: a paraphrase that changes one of these is a miss, never a wrong
 * answer.
 */
export function failedGuard(cachedQuestion: string, question: string): SemanticGuard | undefined {
  const a = questionFeatures(cachedQuestion);
  const b = questionFeatures(question);
  const checks: Record<SemanticGuard, () => boolean> = {
    entity: () => containedIn(a.entities, b.words) && containedIn(b.entities, a.words),
    number: () => sameMultiset(a.numbers, b.numbers),
    currency: () => sameSet(a.currencies, b.currencies),
    date: () => sameSet(a.dates, b.dates),
    quoted: () => sameSet(a.quoted, b.quoted),
    order: () => sameDirections(a, b),
    person: () => a.persons.join() === b.persons.join(),
    negation: () => a.negations === b.negations && !negatedIn(a, b) && !negatedIn(b, a),
    question: () => sameSet(a.asks, b.asks),
  };
  return SEMANTIC_GUARDS.find((guard) => !checks[guard]());
}

function containedIn(needles: readonly string[], words: readonly string[]): boolean {
  return needles.every((n) => words.includes(n));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function sameMultiset(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

/**
 * Relations keep their direction: a word both questions give a direction to has the same one
 * ("flights to Paris" vs "flights from Paris"), and a direction both questions use points at the
 * same word unless the other question does not mention that word at all ("USD to EUR" vs "EUR to
 * USD", "John owes Mary" vs "Mary owes John"). Word order elsewhere is free.
 */
function sameDirections(a: QuestionFeatures, b: QuestionFeatures): boolean {
  for (const [word, role] of a.roles) {
    const other = b.roles.get(word);
    if (other !== undefined && other !== role) return false;
  }
  const objects = (f: QuestionFeatures, role: string) => [...f.roles].filter(([, r]) => r === role).map(([w]) => w);
  for (const role of new Set([...a.roles.values()])) {
    const inA = objects(a, role);
    const inB = objects(b, role);
    if (inB.length === 0 || inA.some((w) => inB.includes(w))) continue;
    if (inB.some((w) => a.words.includes(w)) || inA.some((w) => b.words.includes(w))) return false;
  }
  return true;
}

/** `a` negates by prefix a word `b` states plainly ("unsafe" vs "safe"). */
function negatedIn(a: QuestionFeatures, b: QuestionFeatures): boolean {
  return a.negatedStems.some((stem) => b.words.includes(stem) && !a.words.includes(stem));
}
