import { policiesBeatingTheOracle, shippedScenarios } from './oracle-bound';

/**
 * No policy beats the oracle beyond its CI on any shipped scenario (scenarios without budget caps). A failure means the
 * oracle is not an upper bound (it optimises something else than what is scored, or spends a
 * binding budget worse than a fixed arm) or the simulator leaks truth. oracle-bound.ts has the check.
 */
describe('bench:policy oracle bound, scenarios without budget caps', () => {
  it.each(shippedScenarios(false))('no policy beats the oracle beyond its CI on %s', async (file) => {
    expect(await policiesBeatingTheOracle(file)).toEqual([]);
  }, 300_000);
});
