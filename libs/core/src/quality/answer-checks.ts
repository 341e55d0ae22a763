import type { FinishReason } from '../ports/provider';
import type { RouteRequest } from '../routing/route-request';

/** Validates a JSON value against a JSON Schema; a port, so the core stays free of a validator library. */
export interface JsonSchemaValidator {
  /** Undefined when `value` conforms, else one line saying where and why it does not. */
  validate(schema: Readonly<Record<string, unknown>>, value: unknown): string | undefined;
}

/** What a request class asks of every answer (routing table `classes.<name>.checks`). */
export interface ClassChecks {
  /** Extra refusal patterns (case-insensitive regular expressions) for this class. */
  refusalPatterns?: readonly string[];
  /** The answer must match this regular expression. */
  regex?: string;
  /** A failed check rejects the answer: the router falls back to another arm before publishing. */
  rejectOnFailure?: boolean;
}

/** `fallback_guard`: a fallback answer the class's fallback guard refused (quality/guard-stage.ts). */
export type CheckName = 'empty' | 'cut' | 'refusal' | 'json' | 'schema' | 'regex' | 'fallback_guard';

export interface CheckFailure {
  check: CheckName;
  detail: string;
}

/** Phrases that open a refusal in the major models' house styles; a class may add its own. */
export const DEFAULT_REFUSAL_PATTERNS: readonly string[] = [
  "^\\s*(i'?m|i am) (sorry|afraid)[^.]{0,40}\\b(can(?:no|')t|unable|not able)\\b",
  "^\\s*i (can(?:no|')t|won'?t|am unable to|'m unable to) (help|assist|comply|provide|do that)",
  '\\bas an ai (language )?model\\b',
];

export interface AnswerCheckOptions {
  classes?: Readonly<Record<string, ClassChecks>>;
  refusalPatterns?: readonly string[];
  json?: JsonSchemaValidator;
}

/**
 * Cheap, deterministic checks run on every answer: empty, cut by max tokens, a refusal, JSON that
 * does not parse or does not conform to the requested schema, and an optional regex per class. A
 * failed check is a quality observation for the arm (learnt at once, on every answer), and may
 * reject the answer for a class that says so.
 */
export class AnswerChecks {
  private readonly refusals: RegExp[];
  private readonly perClass = new Map<string, { refusals: RegExp[]; regex?: RegExp; reject: boolean }>();

  constructor(private readonly options: AnswerCheckOptions = {}) {
    this.refusals = (options.refusalPatterns ?? DEFAULT_REFUSAL_PATTERNS).map((p) => new RegExp(p, 'i'));
    this.updateClasses(options.classes ?? {});
  }

  /** The per-class checks of a (re)loaded routing table; answers checked from now on use them. */
  updateClasses(classes: NonNullable<AnswerCheckOptions['classes']>): void {
    this.perClass.clear();
    for (const [name, c] of Object.entries(classes)) {
      this.perClass.set(name, {
        refusals: (c.refusalPatterns ?? []).map((p) => new RegExp(p, 'i')),
        regex: c.regex === undefined ? undefined : new RegExp(c.regex),
        reject: c.rejectOnFailure ?? false,
      });
    }
  }

  /** Whether a failed check rejects answers of this class (fall back instead of publishing). */
  rejects(requestClass: string): boolean {
    return this.perClass.get(requestClass)?.reject ?? false;
  }

  /** The checks this answer fails (empty when it passes them all). */
  run(request: RouteRequest, text: string, finishReason: FinishReason): CheckFailure[] {
    const failures: CheckFailure[] = [];
    // A turn that calls tools has its answer in the calls; its text may well be empty.
    if (finishReason === 'tool_calls') return failures;
    if (text.trim().length === 0) failures.push({ check: 'empty', detail: 'the answer is empty' });
    if (finishReason === 'length') failures.push({ check: 'cut', detail: 'the answer was cut by the max-tokens limit' });
    const cls = this.perClass.get(request.class);
    const refusal = [...this.refusals, ...(cls?.refusals ?? [])].find((r) => r.test(text));
    if (refusal) failures.push({ check: 'refusal', detail: `the answer reads as a refusal (/${refusal.source}/i)` });
    const format = request.params.responseFormat;
    if (format && format.type !== 'text') failures.push(...this.jsonChecks(text, format.type === 'json_schema' ? format.schema : undefined));
    if (cls?.regex && !cls.regex.test(text)) failures.push({ check: 'regex', detail: `the answer does not match /${cls.regex.source}/` });
    return failures;
  }

  private jsonChecks(text: string, schema: Readonly<Record<string, unknown>> | undefined): CheckFailure[] {
    let value: unknown;
    try {
      value = JSON.parse(stripFence(text));
    } catch (err) {
      return [{ check: 'json', detail: `JSON was asked for and the answer does not parse: ${(err as Error).message}` }];
    }
    if (!schema || !this.options.json) return [];
    const problem = this.options.json.validate(schema, value);
    return problem ? [{ check: 'schema', detail: `the JSON does not conform to the requested schema: ${problem}` }] : [];
  }
}

/** Models often wrap JSON in a Markdown code fence; the content is what counts. */
function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/i.exec(text);
  return m ? m[1] : text;
}
