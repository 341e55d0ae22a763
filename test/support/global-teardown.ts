// Jest globalTeardown (e2e project): stop the broker global-setup.ts started — never one it didn't
// (KAFKA_BROKERS given from outside) — and release its slot. The data dir stays for post-mortems;
// the next run on that slot wipes it.
import { rmSync } from 'node:fs';
import { kafkaSh, kafkaShEnv } from './global-setup';
import { readTestEnv, testEnvFile } from './env';

export default async function globalTeardown(): Promise<void> {
  const testEnv = readTestEnv();
  if (testEnv?.startedKafka && testEnv.kafkaRunDir && testEnv.kafkaPort && testEnv.kafkaControllerPort) {
    process.stderr.write('[e2e teardown] stopping the test Kafka\n');
    kafkaSh('stop', kafkaShEnv({ port: testEnv.kafkaPort, controllerPort: testEnv.kafkaControllerPort, runDir: testEnv.kafkaRunDir }));
    if (testEnv.kafkaLockDir) rmSync(testEnv.kafkaLockDir, { recursive: true, force: true });
  }
  rmSync(testEnvFile(), { force: true });
}
