// Jest globalSetup (e2e project): provide a Kafka broker for the suites.
// - KAFKA_BROKERS set: use that cluster, start nothing.
// - otherwise: `bash infra/kafka.sh start` on a dedicated test port (KAFKA_TEST_PORT, default 19092;
//   controller port = test port + 1) with its own run/data dir .infra/kafka-test, wiped first so
//   every run starts from an empty cluster. The first run on a clean clone downloads the broker's
//   jars from Maven Central (.cache/kafka, ~15 s); later runs reuse them.
// Two runs in one tree (two engineers, or watch + CI) must not wipe or stop each other's broker:
// each run claims a slot n with a lock dir owned by its pid — slot 0 is the one above, slot n uses
// port 19092+2n and .infra/kafka-test-n. A lock whose owner died is taken over (its broker stopped).
// The result goes to process.env.KAFKA_BROKERS (inherited by the test workers) and to an env file
// (.infra/test-env.json for slot 0; see test/support/env.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, TEST_ENV_FILE, type TestEnv } from './env';
import { claimSlot } from './slot-lock';

const SLOTS = 8;
const log = (line: string) => process.stderr.write(`[e2e setup] ${line}\n`);

interface Slot {
  port: number;
  controllerPort: number;
  runDir: string;
  lockDir: string;
  envFile: string;
}

function slot(n: number): Slot {
  const base = Number(process.env.KAFKA_TEST_PORT || 19092) + 2 * n;
  const suffix = n === 0 ? '' : `-${n}`;
  return {
    port: base,
    controllerPort: base + 1,
    runDir: join(REPO_ROOT, '.infra', `kafka-test${suffix}`),
    lockDir: join(REPO_ROOT, '.infra', `kafka-test${suffix}.lock`),
    envFile: n === 0 ? TEST_ENV_FILE : join(REPO_ROOT, '.infra', `test-env${suffix}.json`),
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export function kafkaShEnv(s: Pick<Slot, 'port' | 'controllerPort' | 'runDir'>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_PORT: String(s.port),
    KAFKA_CONTROLLER_PORT: String(s.controllerPort),
    KAFKA_RUN_DIR: s.runDir,
    KAFKA_DATA_DIR: join(s.runDir, 'data'),
  };
}

export function kafkaSh(command: 'start' | 'stop', env: NodeJS.ProcessEnv): void {
  // kafka.sh reports progress on stderr; inherit it so a slow first fetch is visible.
  execFileSync('bash', [join(REPO_ROOT, 'infra', 'kafka.sh'), command], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

function writeTestEnv(file: string, testEnv: TestEnv): void {
  mkdirSync(join(REPO_ROOT, '.infra'), { recursive: true });
  writeFileSync(file, JSON.stringify(testEnv, null, 2) + '\n');
  process.env.SWITCHYARD_TEST_ENV_FILE = file;
}

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  if (process.env.KAFKA_BROKERS) {
    log(`using KAFKA_BROKERS=${process.env.KAFKA_BROKERS} (not starting a broker)`);
    writeTestEnv(join(REPO_ROOT, '.infra', `test-env-external-${process.pid}.json`), {
      kafkaBrokers: process.env.KAFKA_BROKERS,
      startedKafka: false,
    });
    return;
  }

  for (let n = 0; n < SLOTS; n++) {
    const s = slot(n);
    if (!claimSlot(s.lockDir)) {
      log(`test Kafka slot ${n} (port ${s.port}) is used by another test run; trying the next`);
      continue;
    }
    const env = kafkaShEnv(s);
    // A broker left over from an interrupted run holds the port and the data dir: stop it first.
    kafkaSh('stop', env);
    if ((await portOpen(s.port)) || (await portOpen(s.controllerPort))) {
      log(`port ${s.port} or ${s.controllerPort} is taken by something else; trying the next slot`);
      rmSync(s.lockDir, { recursive: true, force: true });
      continue;
    }
    log(`starting a test Kafka on 127.0.0.1:${s.port} (run dir ${s.runDir.slice(REPO_ROOT.length + 1)}, wiped)`);
    rmSync(s.runDir, { recursive: true, force: true });
    try {
      kafkaSh('start', env);
    } catch (err) {
      kafkaSh('stop', env);
      rmSync(s.lockDir, { recursive: true, force: true });
      throw err;
    }
    const brokers = `127.0.0.1:${s.port}`;
    process.env.KAFKA_BROKERS = brokers;
    writeTestEnv(s.envFile, {
      kafkaBrokers: brokers,
      startedKafka: true,
      kafkaRunDir: s.runDir,
      kafkaLockDir: s.lockDir,
      kafkaPort: s.port,
      kafkaControllerPort: s.controllerPort,
    });
    log(`KAFKA_BROKERS=${brokers} (setup took ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return;
  }
  throw new Error(`all ${SLOTS} test Kafka slots are in use (see .infra/kafka-test*.lock); set KAFKA_BROKERS or KAFKA_TEST_PORT`);
}
