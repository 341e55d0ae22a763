// The oracle of bench:policy under budget caps. The one-step oracle (OracleSelector) knows the true
// state of every arm but not the future: under a binding cap it spends the budget early and
// refuses late, and a fixed cheap arm beats it. This one allocates the budget in hindsight, as a
// knapsack solved by its Lagrangian: each cap line (scope × window instance) gets a price λ per
// dollar, each request goes to the arm maximising true net value − (1 + Σλ)·cost (refused when no
// arm is positive at that price), and λ is found by bisection, re-simulating the whole run, so the
// line's spend just fits its cap.
import { capLines } from './budget-lines';
import type { Scenario } from './scenario';
import { runPolicy, type OraclePrice, type RunResult } from './simulate';
import type { World } from './world';

/** Bisection steps on ln(1 + λ) per line: resolution ≈ ln(1 + LAMBDA_MAX) / 2^steps (≈ 0.7 % of the price). */
export const ORACLE_BISECTION_STEPS = 10;
/** The highest price searched: a dollar of budget worth 1,000 dollars of value prices out every arm of the shipped scenarios. */
export const LAMBDA_MAX = 1_000;

export interface BudgetOracleRun {
  run: RunResult;
  /** `pacer`: the one-step oracle (no cap refused a request, or it did better); `priced`: the hindsight allocation. */
  kind: 'pacer' | 'priced';
  /** λ of each binding cap line (`<scope> <window id>`), for `priced`. */
  lambdas: Record<string, number>;
  /** Simulations this took (for the report's wall time). */
  simulations: number;
}

/** Requests whose final failure is `budget_exceeded`. */
export function budgetRefusals(run: Pick<RunResult, 'records'>): number {
  return run.records.reduce((n, r) => n + (r.failure === 'budget_exceeded' ? 1 : 0), 0);
}

const netValue = (run: RunResult) => run.records.reduce((s, r) => s + r.netValue, 0);

/** The price of a dollar for a request of `tenant` at `now`: 1 + the λ of every line it counts against. */
export function priceOf(scenario: Scenario, lambdas: ReadonlyMap<string, number>): OraclePrice {
  return (tenant, now) => 1 + capLines(scenario, tenant, now).reduce((s, line) => s + (lambdas.get(line.key) ?? 0), 0);
}

/**
 * THE oracle of a scenario and seed. Without a budget, or when no cap binds (the oracle without caps
 * spends within every cap line), it is the one-step oracle, unchanged (following the budget pacer,
 * as the router does). Otherwise: bisection per binding cap line on its λ, each step a full
 * re-simulation without hard caps, keeping the lowest λ whose spend fits the cap; then the run at
 * those prices with the hard caps on. The better of that run and the one-step oracle (by net value
 * over the run) is the oracle: both are allocations the oracle could have made.
 */
export async function runOracle(scenario: Scenario, world: World, steps = ORACLE_BISECTION_STEPS): Promise<BudgetOracleRun> {
  if (!scenario.budget) return { run: await runPolicy(scenario, world, 'oracle'), kind: 'pacer', lambdas: {}, simulations: 1 };
  const unconstrained = await runPolicy(scenario, world, 'oracle', {}, { oraclePrice: () => 1, hardCaps: false });
  const binding = [...overCap(unconstrained).keys()];
  const pacer = await runPolicy(scenario, world, 'oracle');
  let simulations = 2;
  if (binding.length === 0) return { run: pacer, kind: 'pacer', lambdas: {}, simulations };
  // Per line, bisect μ = ln(1 + λ): [lo, hi] with hi always a price at which the line fits.
  const lo = new Map(binding.map((k) => [k, 0]));
  const hi = new Map(binding.map((k) => [k, Math.log1p(LAMBDA_MAX)]));
  const lambdasOf = (mu: ReadonlyMap<string, number>) => new Map([...mu].map(([k, m]) => [k, Math.expm1(m)]));
  for (let step = 0; step < steps; step++) {
    const mid = new Map(binding.map((k) => [k, (lo.get(k)! + hi.get(k)!) / 2]));
    const run = await runPolicy(scenario, world, 'oracle', {}, { oraclePrice: priceOf(scenario, lambdasOf(mid)), hardCaps: false });
    simulations++;
    const over = overCap(run);
    for (const k of binding) (over.has(k) ? lo : hi).set(k, mid.get(k)!);
  }
  const lambdas = lambdasOf(hi);
  const priced = await runPolicy(scenario, world, 'oracle', {}, { oraclePrice: priceOf(scenario, lambdas) });
  simulations++;
  if (netValue(pacer) > netValue(priced)) return { run: pacer, kind: 'pacer', lambdas: {}, simulations };
  return { run: priced, kind: 'priced', lambdas: Object.fromEntries(lambdas), simulations };
}

/** Cap lines whose spend in `run` exceeds the cap, with the spend. */
function overCap(run: RunResult): Map<string, number> {
  const over = new Map<string, number>();
  for (const [key, spent] of run.spendByWindow) if (spent > (run.capByLine.get(key) ?? Infinity)) over.set(key, spent);
  return over;
}
