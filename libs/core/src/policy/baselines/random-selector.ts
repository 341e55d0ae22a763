import type { Random } from '../../ports/random';
import type { ArmConfig } from '../../routing/arm';
import type { ArmSelector, SelectionContext } from '../../routing/arm-selector';

/** Baseline: a uniformly random eligible arm. */
export class RandomSelector implements ArmSelector {
  readonly name = 'random';

  constructor(private readonly random: Random) {}

  select(_ctx: SelectionContext, eligible: readonly ArmConfig[]) {
    const chosen = eligible[Math.floor(this.random.next() * eligible.length)];
    return { chosen, candidates: eligible.map((arm) => ({ arm: arm.id })), reason: 'uniformly random eligible arm', exploration: true };
  }
}
