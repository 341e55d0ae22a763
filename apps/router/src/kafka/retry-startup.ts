import { Logger } from '@nestjs/common';
import type { StartupWait } from './startup-wait';

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

/** A start-up step kept failing for the whole startup wait (ROUTER_STARTUP_WAIT_MS). */
export class StartupTimeoutError extends Error {
  override readonly name = 'StartupTimeoutError';
}

/**
 * Retries `step` until it succeeds or the startup wait runs out (`wait` hears of each failure, for
 * /health/ready). Without `wait`, gives up after `timeoutMs`.
 */
export async function retryStartup<T>(what: string, step: () => Promise<T>, wait?: StartupWait, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  const deadlineMs = wait ? wait.remainingMs() : timeoutMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await step();
    } catch (err) {
      const message = (err as Error).message;
      // Wrong credentials do not get better by waiting: fail at once, clearly (kafkajs' message
      // names the mechanism and the broker's reason, never the password).
      if ((err as Error).name === 'KafkaJSSASLAuthenticationError') throw new KafkaAuthError(`${what} failed: Kafka SASL authentication failed: ${message}`);
      wait?.failed(what, err);
      if (Date.now() - started + delay > deadlineMs) throw new StartupTimeoutError(wait ? wait.giveUpMessage() : `${what} failed for ${Math.round((Date.now() - started) / 1000)} s: ${message}`);
      logger.warn(`${what}: ${message}; retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
