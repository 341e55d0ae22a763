// The scenario's budget caps as the lines a request's spend counts against, one per scope (global,
// each tenant under `defaultTenant`) and window instance, as the router's BudgetGuard keys them.
import { windowId } from '@switchyard/core';
import type { Scenario } from './scenario';

const WINDOWS = ['minute', 'hour', 'day'] as const;

export interface CapLine {
  /** `<scope> <window id>`, e.g. `tenant:acme hour:2026-01-01T00`. */
  key: string;
  capUsd: number;
}

/** The lines a spend of `tenant` at `now` (clock ms) counts against; none without a budget. */
export function capLines(scenario: Scenario, tenant: string, now: number): CapLine[] {
  const lines: CapLine[] = [];
  const add = (scope: string, caps: Partial<Record<(typeof WINDOWS)[number], number>> | undefined) => {
    for (const w of WINDOWS) {
      const cap = caps?.[w];
      if (cap !== undefined) lines.push({ key: `${scope} ${windowId(w, now)}`, capUsd: cap });
    }
  };
  add(`tenant:${tenant}`, scenario.budget?.defaultTenant);
  add('global', scenario.budget?.global);
  return lines;
}

/** The tenant of each request class, by class name. */
export function tenantOfClass(scenario: Scenario): Map<string, string> {
  return new Map(scenario.workload.classes.map((c) => [c.name, c.tenant]));
}
