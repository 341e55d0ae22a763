// What-if preload for benchmarks, NOT part of the router: `node -r dist/bench/support/kafkajs-max-wait-preload.js`
// gives every kafkajs consumer created in that process `maxWaitTimeInMs` = BENCH_KAFKAJS_MAX_WAIT_MS
// (default 100) unless the caller sets one. kafkajs' default is 5,000 ms, and when every assigned
// partition is paused its fetch loop sleeps that long before it looks at them again
// (consumerGroup.js `if (!requests.length) await sleep(this.maxWaitTime)`), so a router that pauses
// at its in-flight cap stalls for up to 5 s. This lets the benchmark quantify the fix without
// editing apps/.
import { Kafka, type ConsumerConfig } from 'kafkajs';

const maxWaitTimeInMs = Number(process.env.BENCH_KAFKAJS_MAX_WAIT_MS ?? 100);
const original = Kafka.prototype.consumer;
Kafka.prototype.consumer = function consumer(this: Kafka, config: ConsumerConfig) {
  return original.call(this, { maxWaitTimeInMs, ...config });
};
