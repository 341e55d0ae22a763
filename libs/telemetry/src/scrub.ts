/**
 * Masks credentials in free text before it becomes a span attribute or status message.
 * Provider adapters already redact their error messages; this is the second line, because a
 * trace backend is read by more people than the router's logs.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(/\bsk-[A-Za-z0-9_*.-]{3,}/g, 'sk-[redacted]')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
    .replace(/\b(api[_-]?key|x-api-key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, '$1$2[redacted]');
}
