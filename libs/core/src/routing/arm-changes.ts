import type { ArmConfig } from './arm';

/**
 * How one routing table's arms differ from the next one's (a runtime reload). An arm keeps its
 * identity — and so everything learnt about it — while its id, provider and model stay the same:
 * a new price, timeout, context window or class list changes what it costs or where it may serve,
 * not how it behaves. A different provider or model under the same id is another arm (`replaced`):
 * its old evidence would describe something that is no longer called.
 */
export interface ArmChanges {
  added: string[];
  removed: string[];
  replaced: string[];
  /** Same arm, new prices. */
  repriced: string[];
  /** Same arm, some other setting changed (classes, timeouts, limits, context window, policy group). */
  reconfigured: string[];
  unchanged: string[];
}

export function diffArms(previous: readonly ArmConfig[], next: readonly ArmConfig[]): ArmChanges {
  const before = new Map(previous.map((a) => [a.id, a]));
  const changes: ArmChanges = { added: [], removed: [], replaced: [], repriced: [], reconfigured: [], unchanged: [] };
  for (const arm of next) {
    const old = before.get(arm.id);
    if (!old) changes.added.push(arm.id);
    else if (!sameArm(old, arm)) changes.replaced.push(arm.id);
    else if (!samePricing(old, arm)) changes.repriced.push(arm.id);
    else if (!sameSettings(old, arm)) changes.reconfigured.push(arm.id);
    else changes.unchanged.push(arm.id);
  }
  const ids = new Set(next.map((a) => a.id));
  for (const arm of previous) if (!ids.has(arm.id)) changes.removed.push(arm.id);
  return changes;
}

/** True when the change leaves nothing to do. */
export function noArmChanges(changes: ArmChanges): boolean {
  return changes.added.length + changes.removed.length + changes.replaced.length + changes.repriced.length + changes.reconfigured.length === 0;
}

function sameArm(a: ArmConfig, b: ArmConfig): boolean {
  return a.provider === b.provider && a.model === b.model && a.providerKind === b.providerKind;
}

function samePricing(a: ArmConfig, b: ArmConfig): boolean {
  return a.pricing.inputPer1M === b.pricing.inputPer1M && a.pricing.outputPer1M === b.pricing.outputPer1M;
}

function sameSettings(a: ArmConfig, b: ArmConfig): boolean {
  return JSON.stringify(settingsOf(a)) === JSON.stringify(settingsOf(b));
}

function settingsOf(a: ArmConfig): unknown {
  return [a.contextWindow, a.maxOutputTokens, [...a.classes].sort(), a.policyGroup, a.timeouts.connectMs, a.timeouts.totalMs, a.rateLimit?.rpm, a.rateLimit?.tpm];
}
