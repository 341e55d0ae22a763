import { Logger } from '@nestjs/common';

const logger = new Logger('Startup');

/**
 * Retries a start-up step against Kafka. Right after topics are created (or a broker restarts)
 * metadata calls such as ListOffsets can answer "not the leader for that topic-partition" for a
 * few seconds; that is a reason to wait, not to exit.
 */
/** The broker refused the SASL credentials (KAFKA_SASL_*); restarting into them is pointless. */
export class KafkaAuthError extends Error {
  override readonly name = 'KafkaAuthError';
}

export async function retryStartup<T>(what: string, step: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await step();
    } catch (err) {
      const message = (err as Error).message;
      // Wrong credentials do not get better by waiting: fail at once, clearly (kafkajs' message
      // names the mechanism and the broker's reason, never the password).
      if ((err as Error).name === 'KafkaJSSASLAuthenticationError') throw new KafkaAuthError(`${what} failed: Kafka SASL authentication failed: ${message}`);
      if (Date.now() - started + delay > timeoutMs) throw new Error(`${what} failed for ${Math.round((Date.now() - started) / 1000)} s: ${message}`);
      logger.warn(`${what}: ${message}; retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
