// Finds or starts the local Kafka broker a benchmark uses (infra/kafka.sh), and stops it only if
// this run started it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './env';

export interface BrokerHandle {
  brokers: string[];
  /** True when this run started the broker (and must stop it). */
  started: boolean;
  /** Where the broker came from: `KAFKA_BROKERS` or the infra/kafka.sh run dir. */
  source: string;
  kafkaVersion: string;
  jvmOpts: string | null;
  /** Broker JVM pid when it is a kafka.sh broker (for CPU accounting). */
  pid: number | undefined;
  stop(): void;
}

export interface BrokerOptions {
  port?: number;
  controllerPort?: number;
  runDir?: string;
  jvmOpts?: string;
}

/** Kafka version of a kafka.sh broker: KAFKA_VERSION or the (single) cached version. */
function kafkaShVersion(): string {
  if (process.env.KAFKA_VERSION) return process.env.KAFKA_VERSION;
  const dir = join(REPO_ROOT, '.cache', 'kafka');
  const versions = existsSync(dir) ? readdirSync(dir).filter((v) => /^\d+\.\d+/.test(v) && !v.includes('.tmp')) : [];
  return versions.length === 1 ? versions[0] : '4.3.1';
}

export function ensureBroker(options: BrokerOptions = {}): BrokerHandle {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    return {
      brokers: external.split(',').map((b) => b.trim()).filter(Boolean),
      started: false,
      source: 'KAFKA_BROKERS',
      kafkaVersion: process.env.KAFKA_VERSION ?? 'unknown (external broker; set KAFKA_VERSION to record it)',
      jvmOpts: null,
      pid: undefined,
      stop: () => undefined,
    };
  }
  // KAFKA_PORT / KAFKA_CONTROLLER_PORT move the bench's own broker (infra/kafka.sh names them
  // when its port is taken); a caller's explicit option still wins.
  const port = options.port ?? envPort('KAFKA_PORT') ?? 39092;
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(options.controllerPort ?? envPort('KAFKA_CONTROLLER_PORT') ?? port + 1),
    KAFKA_RUN_DIR: options.runDir ?? join(REPO_ROOT, '.infra', 'kafka-bench'),
    KAFKA_JVM_OPTS: process.env.KAFKA_JVM_OPTS ?? options.jvmOpts ?? '-XX:+UseParallelGC',
  };
  const script = join(REPO_ROOT, 'infra', 'kafka.sh');
  const status = spawnSync('bash', [script, 'status'], { env, cwd: REPO_ROOT, stdio: 'pipe' });
  let started = false;
  if (status.status !== 0) {
    process.stderr.write(`bench: starting Kafka on 127.0.0.1:${port} (run dir ${env.KAFKA_RUN_DIR})\n`);
    const start = spawnSync('bash', [script, 'start'], { env, cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (start.status !== 0) throw new Error(`infra/kafka.sh start failed (exit ${start.status})`);
    started = true;
  } else {
    process.stderr.write(`bench: reusing the Kafka broker already running on 127.0.0.1:${port}\n`);
  }
  return {
    brokers: [`127.0.0.1:${port}`],
    started,
    source: `infra/kafka.sh (${env.KAFKA_RUN_DIR})`,
    kafkaVersion: kafkaShVersion(),
    jvmOpts: started ? env.KAFKA_JVM_OPTS : null,
    pid: readPid(join(env.KAFKA_RUN_DIR, 'kafka.pid')),
    stop: () => {
      if (!started) return;
      process.stderr.write('bench: stopping the Kafka broker this run started\n');
      spawnSync('bash', [script, 'stop'], { env, cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function envPort(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${name}=${raw} is not a TCP port (1-65535)`);
  return port;
}
