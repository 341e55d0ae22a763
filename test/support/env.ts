// Where the e2e suites find the infrastructure that test/support/global-setup.ts provided.
// globalSetup runs in its own context, so besides setting process.env it writes .infra/test-env.json;
// these helpers read the environment first and fall back to that file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../bench/support/env';

export { REPO_ROOT };
/** Env file of test-broker slot 0; a concurrent run in the same tree uses another slot's file. */
export const TEST_ENV_FILE = join(REPO_ROOT, '.infra', 'test-env.json');

/** The env file global setup wrote for this run (it exports SWITCHYARD_TEST_ENV_FILE to the run). */
export function testEnvFile(): string {
  return process.env.SWITCHYARD_TEST_ENV_FILE || TEST_ENV_FILE;
}

export interface TestEnv {
  /** Comma-separated host:port list, as in KAFKA_BROKERS. */
  kafkaBrokers: string;
  /** True when global setup started the broker (and global teardown must stop it). */
  startedKafka: boolean;
  /** infra/kafka.sh run dir of the broker global setup started. */
  kafkaRunDir?: string;
  /** Lock dir holding that broker's slot (see global-setup.ts). */
  kafkaLockDir?: string;
  kafkaPort?: number;
  kafkaControllerPort?: number;
}

export function readTestEnv(): TestEnv | undefined {
  const file = testEnvFile();
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as TestEnv;
}

/** Brokers as a comma-separated string (KAFKA_BROKERS format), for child processes' env. */
export function kafkaBrokersString(): string {
  const value = process.env.KAFKA_BROKERS || readTestEnv()?.kafkaBrokers;
  if (!value) {
    throw new Error(
      'No Kafka for e2e tests: KAFKA_BROKERS is unset and .infra/test-env.json is missing ' +
        '(run through `jest --selectProjects e2e`, whose globalSetup starts a broker).',
    );
  }
  return value;
}

/** Brokers for `new Kafka({ brokers: kafkaBrokers() })`. */
export function kafkaBrokers(): string[] {
  return kafkaBrokersString()
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}
