// CLI entry: `node dist/apps/provider-sim/src/main.js`.
// Env: SIM_PORT (4010), SIM_HOST (127.0.0.1), SIM_CONFIG (YAML/JSON file; built-in models if unset),
// SIM_SEED, SIM_LATENCY_SCALE (latency multiplier, 0 = instant), SIM_CALL_LOG_CAPACITY,
// SIM_STRICT (`false` accepts any auth header and unknown body fields), SIM_API_KEYS (comma-separated keys accepted),
// SIM_BATCH (JSON of the batch APIs' settings, batch-settings.ts).
import { parseBatchSettings } from './batch-settings';
import { startProviderSim } from './server';

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${raw}"`);
  return n;
}

function envBoolean(name: string): boolean | undefined {
  const raw = process.env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got "${process.env[name]}"`);
}

async function main(): Promise<void> {
  const sim = await startProviderSim({
    port: envNumber('SIM_PORT') ?? 4010,
    host: process.env.SIM_HOST || '127.0.0.1',
    configPath: process.env.SIM_CONFIG || undefined,
    seed: envNumber('SIM_SEED'),
    latencyScale: envNumber('SIM_LATENCY_SCALE'),
    callLogCapacity: envNumber('SIM_CALL_LOG_CAPACITY'),
    strict: envBoolean('SIM_STRICT'),
    batch: process.env.SIM_BATCH ? parseBatchSettings(JSON.parse(process.env.SIM_BATCH)) : undefined,
    apiKeys: process.env.SIM_API_KEYS ? process.env.SIM_API_KEYS.split(',').map((k) => k.trim()).filter(Boolean) : undefined,
  });
  const models = sim.config().models.length;
  console.log(`provider-sim: listening on ${sim.url} (${models} models)`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`provider-sim: ${signal} received, shutting down`);
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    sim.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`provider-sim: ${(err as Error).message}`);
  process.exit(1);
});
