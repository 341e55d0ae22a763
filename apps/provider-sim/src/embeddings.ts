// Deterministic embeddings for the semantic cache (POST /openai/v1/embeddings): a text's vector is
// the normalised sum of one hashed direction per content word, so paraphrases that keep the
// content words (filler, word order, case, punctuation, plurals, a few synonyms) point the same way,
// and questions that differ in an entity do not. Real embedding models are fuzzier; the router's
// threshold is configured per class for that reason.
import { createHash } from 'node:crypto';

export const DEFAULT_EMBEDDING_DIMENSIONS = 256;

/** Words that carry no meaning for a question's identity (question framing, politeness, articles). */
const STOPWORDS = new Set(
  (
    'a an the is are was were be been am do does did of to in on at for from by with about into as and or ' +
    'what whats which who whom whose how why when where there here it its this that these those ' +
    'i me my we us our you your please could would can will shall should may might tell explain give show ' +
    'know like want need let lets kindly quick quickly question help wondering curious just briefly ' +
    'some any one thing things say said describe s d ll re ve m t'
  ).split(' '),
);

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

export function contentWords(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').match(/[a-z0-9]+/g) ?? [];
  const out = new Set<string>();
  for (const raw of words) {
    if (STOPWORDS.has(raw)) continue;
    let w = raw.length > 4 && raw.endsWith('ies') ? `${raw.slice(0, -3)}y` : raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw;
    w = SYNONYMS[w] ?? w;
    out.add(w);
  }
  return [...out];
}

/** Unit vector of `dimensions` floats; deterministic for the same text. */
export function embedText(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  const v = new Float64Array(dimensions);
  const words = contentWords(text);
  // An empty question still gets a (fixed) direction rather than a zero vector.
  for (const word of words.length ? words : ['\u0000empty']) {
    const h = createHash('sha256').update(word).digest();
    // Each word spreads over four coordinates with signs, so two words rarely collide fully.
    for (let j = 0; j < 4; j++) {
      const idx = h.readUInt32BE(j * 4) % dimensions;
      v[idx] += h[16 + j] & 1 ? 1 : -1;
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
