import type { Kafka, Producer } from 'kafkajs';
import { startProviderSim, type ModelInput, type ProviderSim, type ProviderSimOptions } from '../../apps/provider-sim/src';
import { connectProducer, createTopics, publishRaw, request, testKafka, TopicCollector, uniqueTopics } from './kafka-io';
import { startTestRedis, type TestRedis } from './redis';
import { routingTableFor, startRouter, stopRouter, type RouterProcess, type TestArm } from './router-process';

export type SuiteTopics = ReturnType<typeof uniqueTopics>;

/** An OpenAI arm first, an Anthropic arm to fail over to: the static chain most suites route on. */
export const PRIMARY_SECONDARY: TestArm[] = [
  { id: 'primary', provider: 'openai', model: 'gpt-4o-mini' },
  { id: 'secondary', provider: 'anthropic', model: 'claude-haiku-4-5' },
];

export interface StackOptions {
  /** Names the suite's topics and consumer groups (`<prefix>-<random>.requests`, ...). */
  prefix: string;
  /** The in-process provider simulator. */
  sim?: ProviderSimOptions;
  /** Shorthand for `sim: { seed }`. */
  seed?: number;
  /** Shorthand for `sim: { config: { models } }`: the simulator's models. */
  models?: ModelInput[];
  /** Arms of the routing table written for the simulator; absent: no table (the suite writes its own). */
  arms?: TestArm[];
  /** Top-level routing-table sections appended after the arms (see routingTableFor). */
  tableYaml?: string;
  /** More topics to create with the others (6 partitions), e.g. `(t) => [t.escalations]`. */
  extraTopics?: (topics: SuiteTopics) => string[];
  /** Partitions of the requests topic (default 6; 1 when a suite needs one ordered partition). */
  requestPartitions?: number;
  /** Also collect the DLQ topic. */
  collectDlq?: boolean;
  /**
   * Topics, producer and collectors (default true). False for a suite that only speaks HTTP to the
   * router: the router creates what it consumes and publishes.
   */
  kafkaClients?: boolean;
  /** A test Redis (STATE_BACKEND=redis suites), started first and torn down last. */
  redis?: boolean;
  /** Start one router now with this env over the topics and the routing table; absent: the suite starts it. */
  router?: Record<string, string>;
}

/**
 * What most e2e suites stand on: unique topics (requests, responses, DLQ) on the test broker, the
 * provider simulator, a routing table for it, a producer, collectors on responses (and the DLQ),
 * and the router as a process. Made in the describe body (no I/O), started in beforeAll, stopped in
 * afterAll: `stop()` tears down whatever was started.
 *
 *     const stack = new Stack({ prefix: 'pipeline', sim: { seed: 7 }, arms: [...], router: {} });
 *     beforeAll(() => stack.start());
 *     afterAll(() => stack.stop());
 */
export class Stack {
  readonly topics: SuiteTopics;
  readonly kafka: Kafka = testKafka();
  sim!: ProviderSim;
  producer!: Producer;
  responses!: TopicCollector;
  /** Present with `collectDlq`. */
  dlq!: TopicCollector;
  /** Present with `redis`. */
  redis!: TestRedis;
  /** The routing table written for the simulator (empty without `arms`). */
  routingTable = '';
  /** The router process started last (by `router` or `startRouter`). */
  router!: RouterProcess;
  /** Every router process started; `stop()` stops them all. */
  private readonly routers: RouterProcess[] = [];
  private readonly collectors: TopicCollector[] = [];

  constructor(private readonly options: StackOptions) {
    this.topics = uniqueTopics(options.prefix);
  }

  /** Topics, simulator, collectors, then the router when `options.router` is given. */
  async start(): Promise<this> {
    const { options, topics, kafka } = this;
    if (options.redis) this.redis = await startTestRedis();
    const sim = options.sim ?? {};
    this.sim = await startProviderSim({
      ...sim,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.models ? { config: { ...sim.config, models: options.models } } : {}),
    });
    if (options.arms) this.routingTable = routingTableFor(this.sim.url, options.arms, options.tableYaml);
    if (options.kafkaClients === false) {
      if (options.router) await this.startRouter(options.router);
      return this;
    }
    const others = [topics.responses, topics.dlq, ...(options.extraTopics?.(topics) ?? [])];
    if (options.requestPartitions !== undefined) {
      await createTopics(kafka, [topics.requests], options.requestPartitions);
      await createTopics(kafka, others);
    } else {
      await createTopics(kafka, [topics.requests, ...others]);
    }
    this.producer = await connectProducer(kafka);
    this.responses = await this.collect(topics.responses);
    if (options.collectDlq) this.dlq = await this.collect(topics.dlq);
    if (options.router) await this.startRouter(options.router);
    return this;
  }

  /** Starts a router on the stack's topics and routing table (`env` wins over both). */
  async startRouter(env: Record<string, string> = {}): Promise<RouterProcess> {
    const router = await startRouter({ ...this.topics.env(), ...(this.routingTable ? { ROUTING_TABLE: this.routingTable } : {}), ...env });
    this.routers.push(router);
    this.router = router;
    return router;
  }

  /** Publishes one request per id (`request(id)`, see kafka-io) to the requests topic, keyed by id. */
  publish(ids: string[]): Promise<void> {
    return publishRaw(this.producer, this.topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id)) })));
  }

  /** A collector on `topic` (read from the beginning), stopped with the stack. */
  async collect(topic: string): Promise<TopicCollector> {
    const collector = new TopicCollector(this.kafka, topic);
    this.collectors.push(collector);
    return collector.start();
  }

  /** Tears down what was started (also after a start that failed half way). */
  async stop(): Promise<void> {
    await Promise.all([...this.collectors.map((c) => c.stop()), this.producer?.disconnect()]);
    await Promise.all(this.routers.map((r) => stopRouter(r)));
    await this.sim?.close();
    this.redis?.teardown();
  }
}

/** A Stack for the enclosing describe: started in its beforeAll, stopped in its afterAll. */
export function useStack(options: StackOptions): Stack {
  const stack = new Stack(options);
  beforeAll(() => stack.start());
  afterAll(() => stack.stop());
  return stack;
}

/**
 * One OpenAI model on the simulator with this latency, and one arm (`only` unless named) on it:
 * for suites about the pipeline rather than the choice of arm.
 */
export function singleArm(latency: { medianMs: number; p95Ms: number }, id = 'only'): Pick<StackOptions, 'models' | 'arms'> {
  return { models: [{ name: 'gpt-4o-mini', api: 'openai', latency }], arms: [{ id, provider: 'openai', model: 'gpt-4o-mini' }] };
}
