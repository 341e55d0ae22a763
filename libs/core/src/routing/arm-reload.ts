import type { ArmConfig } from './arm';
import type { ArmChanges } from './arm-changes';
import type { ArmDrain } from './arm-drain';

/**
 * Anything that keeps learnt state per arm (the adaptive policy, a baseline, the breakers). On a
 * reload, `forgetArm` for each arm that is another model now, then `updateArms` with the new list
 * (new prices and settings, new arms); `forgetArm` for a removed arm comes once its last in-flight
 * call has ended, so that call's outcome still lands on the state it was chosen by.
 */
export interface ArmStateHolder {
  updateArms?(arms: readonly ArmConfig[], changes: ArmChanges): void;
  forgetArm(id: string): void;
}

/** What a reload needs of the router (the Router is one): its arms, swapping them, and the drain of removed ones. */
export interface ReloadableArms {
  readonly arms: readonly ArmConfig[];
  updateArms(arms: readonly ArmConfig[]): ArmChanges;
  readonly drain: Pick<ArmDrain, 'drained'>;
}

export interface ArmReload {
  changes: ArmChanges;
  /** Resolves when every removed arm has drained and its state is dropped. */
  drained: Promise<void>;
}

/**
 * Swaps the router's arms for a reloaded routing table and carries learnt state over: arms that
 * stay (repriced or reconfigured included) keep posteriors, latency sketches, breakers and
 * quality; a replaced arm starts again; a removed arm drains, then its state is dropped.
 */
export function reloadArms(router: ReloadableArms, arms: readonly ArmConfig[], holders: readonly ArmStateHolder[]): ArmReload {
  const changes = router.updateArms(arms);
  for (const id of changes.replaced) for (const holder of holders) holder.forgetArm(id);
  for (const holder of holders) holder.updateArms?.(arms, changes);
  const drained = changes.removed.map(async (id) => {
    await router.drain.drained(id);
    // Added back by a later reload while it drained: its state is live again.
    if (router.arms.some((a) => a.id === id)) return;
    for (const holder of holders) holder.forgetArm(id);
  });
  return { changes, drained: Promise.all(drained).then(() => undefined) };
}
