import type { Logger } from '@nestjs/common';
import type { RouterEvent } from '@switchyard/core';

/**
 * One log line when an arm's credentials are refused (the core reports it once per arm, not per
 * call) and one when they work again. The message never holds the key: providers' error texts
 * are redacted where they are built.
 */
export function credentialLog(logger: Pick<Logger, 'error' | 'log'>): (event: RouterEvent) => void {
  return (event) => {
    if (event.type === 'credentials.refused') {
      logger.error(
        `${event.arm}: the provider refused its credentials (${event.status ?? 'auth'})${event.message ? `: ${event.message}` : ''}; ` +
          `out of rotation for every class, one probe call a minute (next ${new Date(event.nextProbeAt).toISOString()}) until it answers or the routing table is reloaded`,
      );
    } else if (event.type === 'credentials.restored') {
      logger.log(`${event.arm}: back in rotation (credentials refused since ${new Date(event.refusedSince).toISOString()})`);
    }
  };
}
