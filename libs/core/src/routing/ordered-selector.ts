import type { ArmSelector, SelectionContext } from './arm-selector';
import type { ArmConfig } from './arm';

/** The static chain: the first eligible arm in routing-table order. Baseline and first router. */
export class OrderedSelector implements ArmSelector {
  readonly name = 'static-chain';

  select(_ctx: SelectionContext, eligible: readonly ArmConfig[]) {
    return {
      chosen: eligible[0],
      candidates: eligible.map((arm) => ({ arm: arm.id })),
      reason: 'first eligible arm in routing-table order',
      exploration: false,
    };
  }
}
