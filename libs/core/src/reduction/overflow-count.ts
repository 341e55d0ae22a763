/**
 * The prompt size a provider reported when it refused a prompt as too long (its own tokenizer's
 * count), from the error message: OpenAI's "your messages resulted in N tokens" / "(N in the
 * messages, …)", Anthropic's "prompt is too long: N tokens > W maximum" / "exceed context limit:
 * N + M > W". Undefined when the message says no number.
 */
export function overflowTokenCount(message: string | undefined): number | undefined {
  if (!message) return undefined;
  for (const pattern of OVERFLOW_COUNT_PATTERNS) {
    const m = pattern.exec(message);
    if (m) return Number(m[1]);
  }
  return undefined;
}

const OVERFLOW_COUNT_PATTERNS = [/resulted in (\d+) tokens/i, /\((\d+) in the messages/i, /prompt is too long: (\d+) tokens/i, /exceed context limit: (\d+) \+/i];
