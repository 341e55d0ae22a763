import type { CredentialSnapshot } from '@switchyard/core';
import { Gauge, type Registry } from 'prom-client';

export interface CredentialMetricSources {
  /** The arms of the routing table serving now (every one gets a series, 0 while its key works). */
  arms: () => readonly { id: string }[];
  credentials: { stateOf(arm: string): CredentialSnapshot };
}

/**
 * Dead credentials: 1 for an arm the provider refused (401/403), out of rotation until a probe
 * answers or the routing table is reloaded. Alert on it: the key needs fixing.
 */
export function registerCredentialMetrics(sources: CredentialMetricSources, prefix: string, registers: Registry[]): void {
  new Gauge({
    name: `${prefix}arm_credentials_refused`,
    help: 'Per arm: 1 while the provider refuses its credentials (401/403) and the arm is out of rotation for every class (one probe call a minute), 0 otherwise.',
    labelNames: ['arm'],
    registers,
    collect() {
      this.reset();
      for (const arm of sources.arms()) this.set({ arm: arm.id }, sources.credentials.stateOf(arm.id).state === 'auth_failed' ? 1 : 0);
    },
  });
}
