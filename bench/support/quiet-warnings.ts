/**
 * kafkajs 2.2.4 arms a timer with a negative delay on Node 24 (harmless; the router is started with
 * --disable-warning=TimeoutNegativeWarning for the same reason). A bench calls this first to keep
 * its output clean; every other warning still prints.
 */
export function silenceTimeoutNegativeWarning(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'TimeoutNegativeWarning') return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
