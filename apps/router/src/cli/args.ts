/** Minimal `--name value` / `--flag` parsing for the bundled CLIs (no dependency needed). */
export function parseArgs(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}" (options look like --name value)`);
    const [name, inline] = arg.slice(2).split('=', 2);
    if (inline !== undefined) out[name] = inline;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[name] = argv[++i];
    else out[name] = true;
  }
  return out;
}

export function intArg(args: Record<string, string | true>, name: string, fallback: number): number {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got "${String(raw)}"`);
  return value;
}

export function strArg(args: Record<string, string | true>, name: string, fallback: string): string {
  const raw = args[name];
  if (raw === undefined) return fallback;
  if (raw === true) throw new Error(`--${name} needs a value`);
  return raw;
}
