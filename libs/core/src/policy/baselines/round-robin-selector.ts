import type { ArmConfig } from '../../routing/arm';
import type { ArmSelector, SelectionContext } from '../../routing/arm-selector';

/** Baseline: eligible arms in turn, ignoring every outcome. */
export class RoundRobinSelector implements ArmSelector {
  readonly name = 'round-robin';
  private turn = 0;

  select(_ctx: SelectionContext, eligible: readonly ArmConfig[]) {
    const chosen = eligible[this.turn++ % eligible.length];
    return { chosen, candidates: eligible.map((arm) => ({ arm: arm.id })), reason: 'round-robin turn', exploration: false };
  }
}
