export * from './manual-clock';
export * from './fake-provider';
export * from './cache-fakes';
// Simulation only (bench:policy and the policy's own tests): not part of the router's API.
export * from '../policy/testing/oracle-selector';
export * from '../policy/testing/posterior-mean-choice';
