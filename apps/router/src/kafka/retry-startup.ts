import { Logger } from '@nestjs/common';

const logger = new Logger('Startup');

/**
 * Retries a start-up step against Kafka. Right after topics are created (or a broker restarts)
 * metadata calls such as ListOffsets can answer "not the leader for that topic-partition" for a
 * few seconds; that is a reason to wait, not to exit.
 */
export async function retryStartup<T>(what: string, step: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const started = Date.now();
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await step();
    } catch (err) {
      const message = (err as Error).message;
      if (Date.now() - started + delay > timeoutMs) throw new Error(`${what} failed for ${Math.round((Date.now() - started) / 1000)} s: ${message}`);
      logger.warn(`${what}: ${message}; retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
