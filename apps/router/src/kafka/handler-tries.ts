import type { InboundMessage } from './inbound-message';

export interface HandlerTriesOptions {
  /** Tries of a failure that is not infrastructure before the record is given up (≥ 1). */
  maxTries: number;
  /** Broker or state-store trouble: waiting helps, so these failures are retried without a count. */
  isTransient: (err: unknown) => boolean;
  /** Takes a record the handler keeps failing on (the DLQ and a failure response); retried while it throws. */
  giveUp: (message: InboundMessage, err: unknown) => Promise<void>;
  /** False once the transport stopped: nothing more is tried. */
  running: () => boolean;
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
  /** First wait between tries; doubles up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export type HandlerEnd = 'handled' | 'given_up' | 'stopped';

/**
 * Runs the handler for one record until it is handled, given up or the transport stops. A failure
 * that is the record's own (a bug it triggers, an input nothing foresaw) is tried `maxTries` times
 * and then given up, so no record can hold its partition: the commit point moves past it once
 * `giveUp` has written it to the DLQ. Infrastructure failures are retried until it recovers,
 * because giving up there would dead-letter good requests during a broker or Redis outage.
 */
export async function runWithTries(message: InboundMessage, handle: (m: InboundMessage) => Promise<void>, o: HandlerTriesOptions): Promise<HandlerEnd> {
  const base = o.baseDelayMs ?? 500;
  const max = o.maxDelayMs ?? 10_000;
  const where = `${message.topic}/${message.partition}@${message.offset}`;
  let failures = 0;
  for (let delay = base; ; delay = Math.min(delay * 2, max)) {
    try {
      await handle(message);
      return 'handled';
    } catch (err) {
      if (!o.running()) return 'stopped';
      const transient = o.isTransient(err);
      if (!transient && ++failures >= o.maxTries) {
        o.log(`handler failed ${failures} times for ${where}, giving it up to the DLQ: ${describe(err)}`);
        return giveUp(message, err, o, where);
      }
      o.log(`handler failed for ${where} (${transient ? 'infrastructure, retried until it recovers' : `try ${failures} of ${o.maxTries}`}), retrying in ${delay} ms: ${describe(err)}`);
      await o.sleep(delay);
    }
  }
}

async function giveUp(message: InboundMessage, cause: unknown, o: HandlerTriesOptions, where: string): Promise<HandlerEnd> {
  for (let delay = o.baseDelayMs ?? 500; ; delay = Math.min(delay * 2, o.maxDelayMs ?? 10_000)) {
    try {
      await o.giveUp(message, cause);
      return 'given_up';
    } catch (err) {
      if (!o.running()) return 'stopped';
      o.log(`could not give up ${where} to the DLQ yet, retrying in ${delay} ms: ${describe(err)}`);
      await o.sleep(delay);
    }
  }
}

function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
