import type { ArmConfig } from './arm';
import { diffArms, type ArmChanges } from './arm-changes';
import type { EligibilityRule } from './eligibility';

/** Exclusion reason of an arm a routing-table reload removed while requests were using it. */
export const REMOVED_FROM_TABLE = 'removed from the routing table (draining)';

/**
 * The arms decisions choose from: the routing table's, replaced on a reload. Arms a reload removed
 * stay known (`armFor`) for the requests still finishing an attempt on them, but are never chosen,
 * retried or hedged to again.
 */
export class ArmTable {
  private current: readonly ArmConfig[];
  private byId: ReadonlyMap<string, ArmConfig>;
  private readonly retired = new Map<string, ArmConfig>();

  constructor(arms: readonly ArmConfig[]) {
    this.current = arms;
    this.byId = new Map(arms.map((a) => [a.id, a]));
  }

  get arms(): readonly ArmConfig[] {
    return this.current;
  }

  /** Whether a reload removed arms that requests may still be using (the `inTable` rule applies). */
  get hasRetired(): boolean {
    return this.retired.size > 0;
  }

  update(arms: readonly ArmConfig[]): ArmChanges {
    const changes = diffArms(this.current, arms);
    for (const id of changes.removed) this.retired.set(id, this.byId.get(id)!);
    for (const arm of arms) this.retired.delete(arm.id);
    this.current = arms;
    this.byId = new Map(arms.map((a) => [a.id, a]));
    return changes;
  }

  /** The arm of an attempt, listed or retired. */
  armFor(id: string): ArmConfig {
    return this.byId.get(id) ?? this.retired.get(id)!;
  }

  /** Rules out a retry or fallback to an arm a reload removed (it drains). */
  readonly inTable: EligibilityRule = (arm) => (this.byId.has(arm.id) ? undefined : REMOVED_FROM_TABLE);
}
