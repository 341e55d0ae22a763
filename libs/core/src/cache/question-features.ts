/**
 * What a question pins down beyond its topic: the entities, numbers, dates, quoted strings, the
 * direction of its relations, whose it is, whether it is negated and what kind of answer it asks
 * for. Embedding models score questions that differ only in these very high (an entity or a
 * direction swapped changes one token of many), so the semantic cache compares them explicitly
 * (semantic-guards.ts). Plain string work: deterministic, well under a millisecond per question, and
 * only done for neighbours above the similarity threshold.
 */
export interface QuestionFeatures {
  /** Every word, lower case, in order (what entity and relation checks look words up in). */
  words: string[];
  /** Capitalised or all-caps words (names, codes such as USD), lower case; a sentence's first word only if it is not a common opener. */
  entities: string[];
  /** Numbers as written without grouping separators (1,000 → 1000), number words as digits. */
  numbers: string[];
  /** Currency symbols and ISO codes. */
  currencies: string[];
  /** Month and weekday names, and relative days and periods (today, next week, ...). */
  dates: string[];
  /** Text between quotes, as written. */
  quoted: string[];
  /** Word → the direction word right before it (from, to, than, owes, ...): "from Paris to London" → paris:from, london:to. */
  roles: Map<string, string>;
  /** Grammatical persons in order of first mention, after polite frames ("can you tell me") are dropped: 1s, 1p, 2, 3. */
  persons: string[];
  /** Negation markers (not, no, never, n't, ...) counted, and words with a negating prefix (unsafe → safe). */
  negations: number;
  negatedStems: string[];
  /** What kind of answer is asked for, where the question word says it (who, when, where, why, how much, ...). */
  asks: string[];
}

const NUMBER_WORDS: Record<string, string> = {
  zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
  eleven: '11', twelve: '12', thirteen: '13', fourteen: '14', fifteen: '15', sixteen: '16', seventeen: '17', eighteen: '18',
  nineteen: '19', twenty: '20', thirty: '30', forty: '40', fifty: '50', hundred: '100', thousand: '1000', million: '1000000', billion: '1000000000',
  third: '3rd', fourth: '4th', fifth: '5th', half: '0.5', twice: '2x', double: '2x', triple: '3x',
};
const CURRENCY_SYMBOLS = /[$€£¥₹₩₽₺₪฿]/gu;
const CURRENCY_CODES = new Set('usd eur gbp jpy chf cad aud nzd cny inr krw rub brl mxn sek nok dkk pln czk huf try zar sgd hkd btc eth'.split(' '));
const CURRENCY_WORDS: Record<string, string> = { dollar: 'usd', dollars: 'usd', euro: 'eur', euros: 'eur', pound: 'gbp', pounds: 'gbp', yen: 'jpy', franc: 'chf', francs: 'chf', rupee: 'inr', rupees: 'inr', yuan: 'cny', bitcoin: 'btc' };
const DATE_WORDS = new Set(
  (
    'january february march april june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec ' +
    'monday tuesday wednesday thursday friday saturday sunday weekend weekday today tomorrow yesterday tonight morning afternoon evening night ' +
    'spring summer autumn fall winter christmas easter now currently'
  ).split(' '),
);
/** "next week" and "last week" ask about different weeks: a period word keeps the word before it. */
const PERIODS = new Set(['week', 'month', 'year', 'quarter', 'decade', 'century', 'season']);
const PERIOD_QUALIFIERS = new Set(['next', 'last', 'this', 'previous', 'coming', 'past']);
/** Words whose object the relation depends on: the word right after one (articles skipped) takes it as its role. */
const DIRECTION_WORDS: Record<string, string> = {
  from: 'from', to: 'to', into: 'to', onto: 'to', toward: 'to', towards: 'to', than: 'than', vs: 'vs', versus: 'vs', against: 'vs',
  owe: 'owe', owes: 'owe', owed: 'owe', pay: 'pay', pays: 'pay', paid: 'pay', beat: 'beat', beats: 'beat', before: 'before', after: 'after',
};
const SKIPPED_BEFORE_OBJECT = new Set(['the', 'a', 'an']);
/** Common first words of a question or request: capitalised by position, not by being a name. */
const OPENERS = new Set(
  (
    'what whats which who whom whose when where why how is are was were am be do does did can could will would shall should may might must have has had ' +
    'please tell show give list explain describe find name help i im ive id my we our you your it its this that these those there the a an in on at for from to ' +
    'by with of about if and or but so hi hello hey ok okay quick any some all each every no not yes also then now just let lets get make write ' +
    'send book check compare convert calculate translate define summarize summarise recommend suggest'
  ).split(' '),
);
const PERSONS: Record<string, string> = {
  i: '1s', me: '1s', my: '1s', mine: '1s', myself: '1s',
  we: '1p', us: '1p', our: '1p', ours: '1p', ourselves: '1p',
  you: '2', your: '2', yours: '2', yourself: '2', yourselves: '2', u: '2', ur: '2', youre: '2',
  he: '3', him: '3', his: '3', she: '3', her: '3', hers: '3', they: '3', them: '3', their: '3', theirs: '3', himself: '3', herself: '3', themselves: '3',
};
/**
 * Polite frames that carry no person of their own: "can you tell me ...", "I'd like to know ...".
 * Removed before persons are counted, so "Can you tell me the capital of France?" and "What is the
 * capital of France?" agree, while "What is your phone number?" keeps its "your".
 */
const POLITE_FRAMES = [
  /\b(?:can|could|would|will) you (?:please )?(?:tell|show|give|remind|help) me\b/g,
  /\b(?:can|could|would|will) you (?:please )?(?:tell|show|explain|let me know|find out)\b/g,
  /\b(?:do|does) (?:you|anyone) know\b/g,
  /\b(?:i|id|i'd|i would|i want to|i wanna|i need to|i'd like to|i would like to|i'm trying to|im trying to) (?:like to |love to )?(?:know|find out|learn|understand|ask)\b/g,
  /\b(?:i am|i'm|im|i was) (?:wondering|curious)\b/g,
  /\bi wonder\b/g,
  /\b(?:please )?(?:tell|show|give|remind) me\b/g,
  /\blet me know\b/g,
  /\bhelp me (?:understand|with)\b/g,
  // The generic asker of a how-to: "how do I convert" asks what "how to convert" asks.
  /\bhow (?:do|can|should|would|could|will|might) (?:i|we|one)\b/g,
];
const NEGATIONS = new Set(['not', 'no', 'never', 'none', 'nothing', 'nobody', 'nowhere', 'neither', 'nor', 'without', 'cannot', 'cant', 'wont', 'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'shouldnt', 'couldnt', 'wouldnt', 'hasnt', 'havent', 'hadnt', 'mustnt', 'neednt']);
const NEGATING_PREFIXES = ['un', 'non', 'in', 'im', 'il', 'ir', 'dis'];
/** Question words that fix the kind of answer; what/which/how alone do not (they are paraphrased freely). */
const ASKS: [RegExp, string][] = [
  [/\b(?:who|whom|whose)\b/, 'who'],
  [/\bwhen\b|\bwhat (?:time(?! zone)|date|day|year)\b/, 'when'],
  [/\bwhere\b/, 'where'],
  [/\bwhy\b|\bhow come\b/, 'why'],
  [/\bhow (?:much|many)\b/, 'how much'],
  [/\bhow (?:long)\b/, 'how long'],
  [/\bhow (?:old)\b/, 'how old'],
  [/\bhow (?:far)\b/, 'how far'],
  [/\bhow (?:often)\b/, 'how often'],
];

export function questionFeatures(text: string): QuestionFeatures {
  const normalised = text.normalize('NFKC').replace(/[’‘]/g, "'");
  const quoted = [...normalised.matchAll(/"([^"]+)"|“([^”]+)”|`([^`]+)`|(?<![\w])'([^']+)'(?![\w])/g)].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4]).trim());
  const tokens = [...normalised.matchAll(/[\p{L}\p{N}]+(?:['.,][\p{L}\p{N}]+)*/gu)].map((m) => ({ raw: m[0], start: m.index }));
  const words: string[] = [];
  const entities: string[] = [];
  const numbers: string[] = [];
  const currencies = [...normalised.matchAll(CURRENCY_SYMBOLS)].map((m) => m[0]);
  const dates: string[] = [];
  const negatedStems: string[] = [];
  let negations = 0;
  // A question typed in capitals says nothing by its case: its names are found from the other side
  // (every name of the other question must be among its words).
  const caseless = !/\p{Ll}/u.test(normalised);
  for (let i = 0; i < tokens.length; i++) {
    const { raw, start } = tokens[i];
    // "Tokyo's" is Tokyo, "what's" is what; other apostrophes (doesn't) just go.
    const lower = raw.toLowerCase().replace(/'s$/, '').replace(/'/g, '');
    const numeric = /^\d/.test(raw);
    const word = numeric ? raw.replace(/,(?=\d{3}\b)/g, '') : lower.replace(/\.$/, '');
    words.push(word);
    if (numeric) numbers.push(word);
    else if (NUMBER_WORDS[word]) numbers.push(NUMBER_WORDS[word]);
    if (CURRENCY_CODES.has(word)) currencies.push(word);
    else if (CURRENCY_WORDS[word]) currencies.push(CURRENCY_WORDS[word]);
    if (DATE_WORDS.has(word)) dates.push(word);
    if (PERIODS.has(word.replace(/s$/, '')) && i > 0 && PERIOD_QUALIFIERS.has(words[i - 1])) dates.push(`${words[i - 1]} ${word.replace(/s$/, '')}`);
    if (NEGATIONS.has(word) || /n't$/i.test(raw)) negations++;
    const prefix = NEGATING_PREFIXES.find((p) => word.startsWith(p) && word.length >= p.length + 4);
    if (prefix) negatedStems.push(word.slice(prefix.length));
    if (!numeric && !caseless && isCapitalised(raw) && !(atSentenceStart(normalised, start) && OPENERS.has(lower))) entities.push(word);
  }
  return {
    words,
    entities,
    numbers,
    currencies: currencies.map((c) => c.toLowerCase()),
    dates,
    quoted,
    roles: roles(words),
    persons: persons(normalised.toLowerCase()),
    negations,
    negatedStems,
    asks: asks(normalised.toLowerCase()),
  };
}

function isCapitalised(raw: string): boolean {
  return /^\p{Lu}/u.test(raw) && (raw.length > 1 || raw !== 'I');
}

function atSentenceStart(text: string, index: number): boolean {
  const before = text.slice(0, index).trimEnd();
  return before === '' || /[.!?:;"“(\n]$/.test(before);
}

function roles(words: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const role = DIRECTION_WORDS[words[i]];
    if (!role) continue;
    let j = i + 1;
    while (j < words.length && SKIPPED_BEFORE_OBJECT.has(words[j])) j++;
    if (j < words.length && !out.has(words[j])) out.set(words[j], role);
  }
  return out;
}

function persons(lower: string): string[] {
  let text = lower;
  for (const frame of POLITE_FRAMES) text = text.replace(frame, ' ');
  const found = new Set<string>();
  // "i'm", "you're": the person is the part before the apostrophe.
  for (const w of text.match(/[a-z]+(?:'[a-z]+)?/g) ?? []) {
    const p = PERSONS[w.split("'")[0]];
    if (p) found.add(p);
  }
  // In order of mention: "can you see my balance" and "can I see your balance" differ.
  return [...found];
}

function asks(lower: string): string[] {
  return ASKS.filter(([re]) => re.test(lower))
    .map(([, name]) => name)
    .sort();
}
