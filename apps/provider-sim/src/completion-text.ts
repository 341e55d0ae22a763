// Deterministic completion text (same model + prompt -> same text) and rough token counting.
import { hashString, mulberry32 } from './prng';

/** Rough input token estimate: ~4 characters per token. */
export function countTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

const WORDS = (
  'the a of and to in is that for on with as it by route model request answer provider latency ' +
  'token stream switch yard signal track train cargo depot junction rail platform schedule ' +
  'budget quality fast cheap reliable result value system data simple clear final check ' +
  'because while when then also very more most each every this these those which about ' +
  'before after under over between through during without within across toward upon'
).split(' ');

/** `[answer: N tokens]` anywhere in the prompt (a scripted client's request for an answer of N tokens). */
const ANSWER_LENGTH = /\[answer: (\d{1,7}) tokens\]/;

/**
 * The answer length a scripted prompt asks for (`[answer: N tokens]`), else undefined. Benchmarks
 * replaying drawn output lengths use it so an answer ends on its own (finish `stop`) at the drawn
 * length instead of running into max_tokens (finish `length`, which routers count as a cut answer).
 */
export function requestedAnswerTokens(prompt: string): number | undefined {
  if (!prompt.includes('[answer: ')) return undefined;
  const m = ANSWER_LENGTH.exec(prompt);
  return m ? Math.max(1, Number(m[1])) : undefined;
}

export interface GeneratedText {
  text: string;
  tokens: number;
  /** The stop sequence that cut the text short, if any. */
  stopSequence: string | null;
}

/**
 * Generates `tokens` words (one word counts as one token) seeded by the model and the prompt.
 * If a stop sequence occurs in the text, the text is cut just before it.
 */
export function generateText(model: string, prompt: string, tokens: number, stop: readonly string[] = []): GeneratedText {
  const rng = mulberry32(hashString(prompt, hashString(model)));
  const parts: string[] = [];
  let capitalize = true;
  for (let i = 0; i < tokens; i++) {
    let word = WORDS[Math.floor(rng() * WORDS.length)];
    if (capitalize) {
      word = word.charAt(0).toUpperCase() + word.slice(1);
      capitalize = false;
    }
    if (i === tokens - 1 || rng() < 0.08) {
      word += '.';
      capitalize = true;
    }
    parts.push(word);
  }
  let text = parts.join(' ');
  let count = tokens;
  let stopSequence: string | null = null;
  let cut = -1;
  for (const seq of stop) {
    if (!seq) continue;
    const at = text.indexOf(seq);
    if (at >= 0 && (cut < 0 || at < cut)) {
      cut = at;
      stopSequence = seq;
    }
  }
  if (cut >= 0) {
    text = text.slice(0, cut);
    count = text.trim() === '' ? 0 : text.trim().split(/\s+/).length;
  }
  return { text, tokens: count, stopSequence };
}
