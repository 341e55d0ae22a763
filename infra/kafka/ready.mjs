// Readiness probe for infra/kafka.sh: succeeds once the broker creates a topic, takes a message
// from an idempotent producer (InitProducerId answered) and its group coordinator answers (which
// creates __consumer_offsets). An open port alone isn't enough: right after start-up the first
// produce fails with "no leader" and group calls with "The coordinator is loading".
// Usage: node infra/kafka/ready.mjs <host:port[,host:port]> [timeoutSeconds=60]
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

// kafkajs 2.2.4 passes a negative delay to setTimeout (requestQueue scheduleCheckPendingRequests);
// Node >= 23 warns about it (TimeoutNegativeWarning) though the 1 ms clamp is what kafkajs wants.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) =>
  (warning && warning.name === 'TimeoutNegativeWarning') || rest[0] === 'TimeoutNegativeWarning'
    ? undefined
    : emitWarning(warning, ...rest);

const brokers = (process.argv[2] || '127.0.0.1:9092').split(',');
const timeoutMs = Number(process.argv[3] || 60) * 1000;
const topic = 'switchyard-ready';
const deadline = Date.now() + timeoutMs;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function attempt() {
  const kafka = new Kafka({
    clientId: 'switchyard-infra-ready',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    allowAutoTopicCreation: true,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: 2, initialRetryTime: 100 }, // an idempotent producer refuses retries: 0
  });
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    }
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: `ready ${new Date().toISOString()}` }] });
    await admin.fetchOffsets({ groupId: 'switchyard-ready', topics: [topic] });
    const { groups } = await admin.describeGroups(['switchyard-ready']);
    if (groups[0].errorCode) throw new Error(`group coordinator error ${groups[0].errorCode}`);
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

(async () => {
  let last;
  while (Date.now() < deadline) {
    try {
      await attempt();
      process.exit(0);
    } catch (err) {
      last = err;
      await sleep(500);
    }
  }
  console.error(`kafka: broker at ${brokers.join(',')} not ready after ${timeoutMs / 1000} s: ${last && last.message}`);
  process.exit(1);
})();
