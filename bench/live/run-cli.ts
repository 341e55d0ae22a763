import { ScenarioError } from '../policy/scenario';

/** Runs a live bench's main: a bad scenario file exits 2 with its message, any other failure 1 with its stack. */
export function runLiveCli(tool: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ScenarioError) {
      console.error(err.message);
      process.exit(2);
    }
    console.error(`bench:${tool} failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
}
