/**
 * Lets a log line through once per window and counts the repeats in between: while a broker is
 * down kafkajs logs the same connection error on every retry, which would bury everything else.
 */
export class RepeatFilter {
  private readonly seen = new Map<string, { at: number; repeats: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    /** Distinct lines remembered; the oldest is forgotten past this. */
    private readonly maxLines = 256,
  ) {}

  /** The line to write now (with the repeats it stood for), or undefined to drop it. */
  pass(line: string): string | undefined {
    const now = this.now();
    const entry = this.seen.get(line);
    if (entry && now - entry.at < this.windowMs) {
      entry.repeats++;
      return undefined;
    }
    this.seen.delete(line);
    this.seen.set(line, { at: now, repeats: 0 });
    if (this.seen.size > this.maxLines) this.seen.delete(this.seen.keys().next().value!);
    return entry && entry.repeats > 0 ? `${line} (and ${entry.repeats} more like it in the last ${Math.round((now - entry.at) / 1000)} s)` : line;
  }
}
