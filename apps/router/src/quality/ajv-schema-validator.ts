import Ajv, { type ValidateFunction } from 'ajv';
import type { JsonSchemaValidator } from '@switchyard/core';

/** Compiled schemas kept per schema text; requests usually repeat a few schemas. */
const MAX_COMPILED = 256;

/**
 * The answer checks' JSON Schema validation, by Ajv (draft 2020-12 keywords it supports, formats
 * off). A schema Ajv cannot compile is reported as the answer's problem, never thrown: a request
 * with a broken schema must still get its answer.
 */
export class AjvSchemaValidator implements JsonSchemaValidator {
  private readonly ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });
  private readonly compiled = new Map<string, ValidateFunction | string>();

  validate(schema: Readonly<Record<string, unknown>>, value: unknown): string | undefined {
    const validate = this.compile(schema);
    if (typeof validate === 'string') return validate;
    if (validate(value)) return undefined;
    const e = validate.errors?.[0];
    return e ? `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}` : 'does not conform';
  }

  private compile(schema: Readonly<Record<string, unknown>>): ValidateFunction | string {
    const key = JSON.stringify(schema);
    let entry = this.compiled.get(key);
    if (entry === undefined) {
      try {
        entry = this.ajv.compile(schema);
      } catch (err) {
        entry = `the requested schema is not a valid JSON Schema: ${(err as Error).message}`;
      }
      if (this.compiled.size >= MAX_COMPILED) this.compiled.delete(this.compiled.keys().next().value!);
      this.compiled.set(key, entry);
    }
    return entry;
  }
}
