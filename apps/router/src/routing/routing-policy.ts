import {
  BreakerRegistry,
  BudgetGuard,
  DEFAULT_RULES,
  InMemoryBudgetStore,
  LatencySelector,
  OrderedSelector,
  RandomSelector,
  RoundRobinSelector,
  ThompsonSelector,
  type ArmSelector,
  type ArmStateHolder,
  type BudgetStore,
  type Clock,
  type EligibilityRule,
  type LatencyEstimator,
  type OutcomeSink,
  type QualitySink,
  type Random,
} from '@switchyard/core';
import type { LoadedRoutingTable } from '../config/routing-table.loader';
import type { RoutingIntrospection } from '../metrics/routing-introspection';

/** The pieces of the router that decide *which* arm, built from the routing table's `policy:` and `budgets:`. */
export interface RoutingPolicy {
  selector: ArmSelector;
  /** Learners fed every attempt outcome (the adaptive policy, the latency baseline). */
  outcomeSinks: OutcomeSink[];
  /** Learners fed answer checks and feedback (the adaptive policy; baselines ignore quality). */
  qualitySinks?: QualitySink[];
  eligibilityRules: EligibilityRule[];
  latency?: LatencyEstimator;
  budget?: BudgetGuard;
  introspection: RoutingIntrospection;
  /** The adaptive policy, when selected: replicas feed it each other's outcomes. */
  thompson?: ThompsonSelector;
  /** What keeps learnt state per arm (carried over or dropped on a routing-table reload). */
  stateHolders: ArmStateHolder[];
  /** Per-arm priors, class values and quality floors of a reloaded routing table. */
  updateSettings(table: LoadedRoutingTable): void;
}

const noSettings = (): void => undefined;

function minQualityOf(table: LoadedRoutingTable): Record<string, number> {
  return Object.fromEntries(Object.entries(table.classes).flatMap(([name, c]) => (c.minQuality === undefined ? [] : [[name, c.minQuality]])));
}

export function createRoutingPolicy(table: LoadedRoutingTable, clock: Clock, random: Random, budgetStore: BudgetStore = new InMemoryBudgetStore(), breakers?: BreakerRegistry): RoutingPolicy {
  const budget = table.budgets ? new BudgetGuard({ store: budgetStore, clock, caps: table.budgets }) : undefined;
  const introspection: RoutingIntrospection = budget ? { budgetHeadroom: (tenant) => budget.headroom(tenant) } : {};
  const rules: EligibilityRule[] = [...DEFAULT_RULES];
  const { policy } = table;
  switch (policy.selector) {
    case 'thompson': {
      const thompson = new ThompsonSelector({
        clock,
        random,
        arms: table.arms,
        discount: policy.discount,
        explorationRate: policy.explorationRate,
        stalenessDecayPerMinute: policy.stalenessDecayPerMinute,
        explorationHorizonMs: policy.explorationHorizonMinutes === undefined ? undefined : policy.explorationHorizonMinutes * 60_000,
        classWarmStartCap: policy.classWarmStartCap,
        classValues: table.classes,
        minQuality: minQualityOf(table),
        armPriors: table.armPriors,
        // The pacer: cost weighs more as a tenant's spend nears a cap, before anything is refused.
        costWeight: budget ? (tenant) => budget.costWeight(tenant) : undefined,
        // A half-open arm (the router's breakers) gets its probe from the next decision.
        halfOpen: breakers?.halfOpen,
      });
      rules.push(thompson.maxCostRule(), thompson.qualityFloorRule());
      introspection.policySnapshot = () => thompson.snapshot();
      const updateSettings = (next: LoadedRoutingTable) => thompson.updateSettings({ armPriors: next.armPriors, classValues: next.classes, minQuality: minQualityOf(next) });
      return { selector: thompson, outcomeSinks: [thompson], qualitySinks: [thompson], eligibilityRules: rules, latency: thompson, budget, introspection, thompson, stateHolders: [thompson], updateSettings };
    }
    case 'latency-cooldown': {
      const latency = new LatencySelector({ clock });
      return { selector: latency, outcomeSinks: [latency], eligibilityRules: rules, budget, introspection, stateHolders: [latency], updateSettings: noSettings };
    }
    case 'round-robin':
      return { selector: new RoundRobinSelector(), outcomeSinks: [], eligibilityRules: rules, budget, introspection, stateHolders: [], updateSettings: noSettings };
    case 'random':
      return { selector: new RandomSelector(random), outcomeSinks: [], eligibilityRules: rules, budget, introspection, stateHolders: [], updateSettings: noSettings };
    case 'static-chain':
      return { selector: new OrderedSelector(), outcomeSinks: [], eligibilityRules: rules, budget, introspection, stateHolders: [], updateSettings: noSettings };
  }
}
