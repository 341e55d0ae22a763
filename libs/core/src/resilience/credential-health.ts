import type { RouterEvents } from '../events/router-events';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { EligibilityRule } from '../routing/eligibility';

/** Once a minute: a fixed key is noticed within a minute, at the price of one refused call a minute. */
export const DEFAULT_CREDENTIAL_PROBE_MS = 60_000;

/** Exclusion reasons of this rule start with this (a request whose every arm has it fails `auth`). */
export const CREDENTIALS_REFUSED = 'credentials refused';

export interface CredentialSnapshot {
  arm: string;
  state: 'ok' | 'auth_failed';
  /** Since when the provider has refused the arm's credentials (auth_failed). */
  since?: number;
  /** The HTTP status of the refusal (401, 403). */
  status?: number;
  /** When the next call may go to the arm to see whether its key works again. */
  nextProbeAt?: number;
}

interface Refusal {
  since: number;
  status?: number;
  nextProbeAt: number;
}

export interface CredentialHealthOptions {
  clock: Clock;
  /** How long an arm whose credentials were refused stays out of rotation before one call probes it. */
  probeIntervalMs?: number;
  /** Receives `credentials.refused` (once per arm, when it leaves rotation) and `credentials.restored`. */
  events?: RouterEvents;
}

/**
 * Dead credentials: an attempt the provider refused as `auth` (401/403) takes the arm out of
 * rotation for every class, since no request can succeed with a key the provider rejects. Every
 * `probeIntervalMs` one request may use it again (a probe: an ordinary call that falls back if
 * it is refused); an ok answer puts the arm back. A reload of the routing table forgets every
 * refusal (the key may have been fixed with it). Only this process's own calls count: a replica
 * (or a restart with a new key) judges its own credentials.
 */
export class CredentialHealth {
  private readonly refused = new Map<string, Refusal>();
  private readonly probeMs: number;

  constructor(private readonly options: CredentialHealthOptions) {
    this.probeMs = options.probeIntervalMs ?? DEFAULT_CREDENTIAL_PROBE_MS;
  }

  readonly eligibilityRule: EligibilityRule = (arm, { now }) => {
    const r = this.refused.get(arm.id);
    if (!r || now >= r.nextProbeAt) return undefined;
    return `${CREDENTIALS_REFUSED} (${r.status ?? 'auth'}) since ${iso(r.since)}; next probe ${iso(r.nextProbeAt)}`;
  };

  /** A call starts on the arm: if its credentials were refused this call is the probe, and the next one waits a full interval. */
  acquire(arm: string): void {
    const r = this.refused.get(arm);
    if (r) r.nextProbeAt = this.options.clock.now() + this.probeMs;
  }

  record(outcome: Pick<AttemptOutcome, 'arm' | 'kind' | 'status' | 'message'>): void {
    const now = this.options.clock.now();
    const r = this.refused.get(outcome.arm);
    if (outcome.kind === 'auth') {
      if (r) return;
      this.refused.set(outcome.arm, { since: now, status: outcome.status, nextProbeAt: now + this.probeMs });
      this.options.events?.emit({ type: 'credentials.refused', at: now, arm: outcome.arm, status: outcome.status, message: outcome.message, nextProbeAt: now + this.probeMs });
    } else if (outcome.kind === 'ok' && r) {
      this.refused.delete(outcome.arm);
      this.options.events?.emit({ type: 'credentials.restored', at: now, arm: outcome.arm, refusedSince: r.since });
    }
  }

  /** The routing table (and with it, possibly, the keys) was reloaded: every arm gets its chance again. */
  reset(): void {
    const now = this.options.clock.now();
    for (const [arm, r] of this.refused) this.options.events?.emit({ type: 'credentials.restored', at: now, arm, refusedSince: r.since });
    this.refused.clear();
  }

  stateOf(arm: string): CredentialSnapshot {
    const r = this.refused.get(arm);
    return r ? { arm, state: 'auth_failed', since: r.since, status: r.status, nextProbeAt: r.nextProbeAt } : { arm, state: 'ok' };
  }

  /** The arms out of rotation now. */
  snapshot(): CredentialSnapshot[] {
    return [...this.refused.keys()].map((arm) => this.stateOf(arm));
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
