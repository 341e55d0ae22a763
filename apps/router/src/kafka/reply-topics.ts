import type { Admin, Kafka } from 'kafkajs';

export type ReplyTopicCheck = { ok: true } | { ok: false; reason: string };

/** Decides, before routing, whether a request's reply topic can take its answer. */
export interface ReplyTopicGate {
  check(topic: string): Promise<ReplyTopicCheck>;
}

/**
 * A request may name its own reply topic. Left to the producer, a topic that does not exist on a
 * broker with auto-creation off makes kafkajs retry the send forever and the partition stops behind
 * it. So the router checks first, once per topic: it creates the topic (`REPLY_TOPIC_CREATE=true`,
 * the default) or refuses the request with a failure response on the default responses topic.
 */
export class KafkaReplyTopics implements ReplyTopicGate {
  private readonly known = new Set<string>();
  private readonly pending = new Map<string, Promise<ReplyTopicCheck>>();
  private admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: { create: boolean; numPartitions: number },
  ) {}

  check(topic: string): Promise<ReplyTopicCheck> {
    if (this.known.has(topic)) return Promise.resolve({ ok: true });
    let running = this.pending.get(topic);
    if (!running) {
      running = this.resolve(topic).finally(() => this.pending.delete(topic));
      this.pending.set(topic, running);
    }
    return running;
  }

  private async resolve(topic: string): Promise<ReplyTopicCheck> {
    const admin = await this.connected();
    const exists = (await admin.listTopics()).includes(topic);
    if (!exists) {
      if (!this.options.create) {
        return { ok: false, reason: `replyTopic "${topic}" does not exist and this router does not create reply topics (REPLY_TOPIC_CREATE=false); create it first` };
      }
      // Another replica may create it at the same moment: createTopics then answers false, not an error.
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: this.options.numPartitions }] });
    }
    this.known.add(topic);
    return { ok: true };
  }

  private async connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
