/** Longest piece of caller input an error message repeats. */
export const MAX_QUOTED_CHARS = 200;

/**
 * Caller input as an error message quotes it: cut to MAX_QUOTED_CHARS with the length said, so a
 * 10 KB model name or field name is not echoed back whole (nor into logs that keep the message).
 */
export function quoteInput(value: string): string {
  return value.length <= MAX_QUOTED_CHARS ? value : `${value.slice(0, MAX_QUOTED_CHARS)}… (${value.length} characters)`;
}
