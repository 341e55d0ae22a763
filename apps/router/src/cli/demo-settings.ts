/**
 * Ports and addresses of `npm run demo`, from the environment (README "Quickstart"):
 * - `SIM_PORT` [4010]: provider-sim; the router gets `SIM_URL=http://127.0.0.1:$SIM_PORT`, which
 *   the routing table (config/routing.yaml) interpolates into its providers' base URLs.
 * - `HTTP_PORT` [8080]: the router's health/metrics server.
 * - `KAFKA_PORT` [9092] and `KAFKA_CONTROLLER_PORT` [KAFKA_PORT + 1]: the broker the demo starts
 *   with infra/kafka.sh (the same variables that script reads).
 * - `KAFKA_BROKERS`: use this broker instead; the demo then starts none (and the two above are unused).
 */
export interface DemoSettings {
  simPort: number;
  simUrl: string;
  httpPort: number;
  brokers: string;
  /** Set when the demo starts its own broker with infra/kafka.sh; absent with KAFKA_BROKERS. */
  kafka?: { port: number; controllerPort: number; runDir: string };
  /** Things the user should know (e.g. a variable that has no effect). */
  notes: string[];
}

export function demoSettings(env: NodeJS.ProcessEnv): DemoSettings {
  const notes: string[] = [];
  const simPort = port(env, 'SIM_PORT', 4010);
  const httpPort = port(env, 'HTTP_PORT', 8080);
  const taken = new Map<number, string>([[simPort, 'SIM_PORT']]);
  claim(taken, httpPort, 'HTTP_PORT');
  const common = { simPort, simUrl: `http://127.0.0.1:${simPort}`, httpPort, notes };

  const brokers = env.KAFKA_BROKERS?.trim();
  if (brokers) {
    for (const name of ['KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'DEMO_KAFKA_PORT']) {
      if (env[name]) notes.push(`${name} is ignored: KAFKA_BROKERS=${brokers} is used and no broker is started`);
    }
    return { ...common, brokers };
  }
  // DEMO_KAFKA_PORT: the older name of KAFKA_PORT here, still accepted.
  const kafkaPort = port(env, env.KAFKA_PORT ? 'KAFKA_PORT' : 'DEMO_KAFKA_PORT', 9092);
  claim(taken, kafkaPort, 'KAFKA_PORT');
  if (!env.KAFKA_CONTROLLER_PORT && kafkaPort === 65_535) {
    throw new Error('KAFKA_PORT=65535 leaves no port for the controller (KAFKA_PORT + 1): set KAFKA_CONTROLLER_PORT');
  }
  const controllerPort = port(env, 'KAFKA_CONTROLLER_PORT', kafkaPort + 1);
  claim(taken, controllerPort, 'KAFKA_CONTROLLER_PORT');
  // One run directory (server.properties, data, log) per broker port, so a demo on other ports
  // never reuses the data of a broker that was configured for different listeners.
  const runDir = kafkaPort === 9092 && controllerPort === 9093 ? '.infra/kafka-demo' : `.infra/kafka-demo-${kafkaPort}-${controllerPort}`;
  return { ...common, brokers: `127.0.0.1:${kafkaPort}`, kafka: { port: kafkaPort, controllerPort, runDir } };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65_535) throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
  return value;
}

function claim(taken: Map<number, string>, value: number, name: string): void {
  const other = taken.get(value);
  if (other) throw new Error(`${name} and ${other} are both ${value}: each needs its own port`);
  taken.set(value, name);
}
