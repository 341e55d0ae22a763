// Deterministic embeddings for the semantic cache (POST /openai/v1/embeddings): a text's vector is
// the normalised, weighted sum of hashed directions for its word unigrams and bigrams. Content
// words weigh most; function words (who, when, my, your, to, from, not, ...) are kept at a lower
// weight; bigrams carry word order. So a paraphrase that keeps the content words (filler, case,
// punctuation, plurals, a few synonyms) scores high, a changed entity scores lower, and a swapped
// direction or person scores a little lower: like real embedding models, often still above a
// threshold, which is what the router's semantic guards are for.
import { createHash } from 'node:crypto';

export const DEFAULT_EMBEDDING_DIMENSIONS = 256;

/** Politeness and framing: dropped entirely, they say nothing about which question is asked. */
const FILLER = new Set(
  (
    'please could would can tell explain give show know like want need let lets kindly quick quickly question help wondering curious ' +
    'just briefly thing things say said describe hi hello hey thanks thank anyone wonder'
  ).split(' '),
);

/** Words that frame a question rather than name its subject: kept, at FUNCTION_WEIGHT. */
const FUNCTION_WORDS = new Set(
  (
    'a an the is are was were be been am do does did of to in on at for from by with about into as and or than ' +
    'what whats which who whom whose how why when where there here it its this that these those ' +
    'i me my mine we us our you your yours he him his she her they them their will shall should may might ' +
    'not no never nor some any one s d ll re ve m t'
  ).split(' '),
);

const CONTENT_WEIGHT = 1;
const FUNCTION_WEIGHT = 0.1;
const BIGRAM_WEIGHT = 0.15;

/** A handful of synonyms, so a paraphrase that swaps one of them still matches. */
const SYNONYMS: Record<string, string> = {
  largest: 'biggest',
  big: 'large',
  huge: 'large',
  fast: 'quick',
  rapid: 'quick',
  begin: 'start',
  commence: 'start',
  purchase: 'buy',
  automobile: 'car',
  reset: 'change',
  modify: 'change',
  update: 'change',
  cancel: 'stop',
  terminate: 'stop',
  refund: 'reimburse',
  nation: 'country',
  city: 'town',
  doctor: 'physician',
};

/** The text's words, lower case, accents and filler removed, plurals and synonyms folded, in order. */
export function embeddingWords(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').match(/[a-z0-9]+/g) ?? [];
  const out: string[] = [];
  for (const raw of words) {
    if (FILLER.has(raw)) continue;
    if (FUNCTION_WORDS.has(raw)) {
      out.push(raw);
      continue;
    }
    const w = raw.length > 4 && raw.endsWith('ies') ? `${raw.slice(0, -3)}y` : raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw;
    out.push(SYNONYMS[w] ?? w);
  }
  return out;
}

/** The content words alone (no function words), each once. */
export function contentWords(text: string): string[] {
  return [...new Set(embeddingWords(text).filter((w) => !FUNCTION_WORDS.has(w)))];
}

/** The weighted features of a text: unigrams once each, bigrams of adjacent words (function words skipped). */
export function embeddingFeatures(text: string): Map<string, number> {
  const words = embeddingWords(text);
  const features = new Map<string, number>();
  for (const w of words) features.set(`1:${w}`, FUNCTION_WORDS.has(w) ? FUNCTION_WEIGHT : CONTENT_WEIGHT);
  const sequence = words.filter((w) => !FUNCTION_WORDS.has(w));
  for (let i = 1; i < sequence.length; i++) features.set(`2:${sequence[i - 1]} ${sequence[i]}`, BIGRAM_WEIGHT);
  return features;
}

/** Unit vector of `dimensions` floats; deterministic for the same text. */
export function embedText(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  const v = new Float64Array(dimensions);
  const features = embeddingFeatures(text);
  // An empty question still gets a (fixed) direction rather than a zero vector.
  if (features.size === 0) features.set('\u0000empty', 1);
  for (const [feature, weight] of features) {
    const h = createHash('sha256').update(feature).digest();
    // Each feature spreads over four coordinates with signs, so two features rarely collide fully.
    for (let j = 0; j < 4; j++) {
      const idx = h.readUInt32BE(j * 4) % dimensions;
      v[idx] += h[16 + j] & 1 ? weight : -weight;
    }
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return Array.from(v, (x) => Math.round((x / norm) * 1e6) / 1e6);
}

export interface EmbeddingsBody {
  model?: unknown;
  input?: unknown;
  dimensions?: unknown;
}

/** The OpenAI embeddings response for a request body, or an error message for a bad one. */
export function embeddingsResponse(body: EmbeddingsBody): { ok: true; json: unknown } | { ok: false; message: string; param: string } {
  if (typeof body.model !== 'string' || body.model.length === 0) return { ok: false, message: 'model is required', param: 'model' };
  const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) && body.input.every((x) => typeof x === 'string') ? (body.input as string[]) : undefined;
  if (!inputs || inputs.length === 0) return { ok: false, message: 'input must be a string or an array of strings', param: 'input' };
  const dimensions = body.dimensions === undefined ? DEFAULT_EMBEDDING_DIMENSIONS : Number(body.dimensions);
  if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 4096) return { ok: false, message: 'dimensions must be an integer in 8..4096', param: 'dimensions' };
  const tokens = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
  return {
    ok: true,
    json: {
      object: 'list',
      model: body.model,
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: embedText(text, dimensions) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}
