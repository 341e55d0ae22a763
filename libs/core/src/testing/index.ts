export * from './manual-clock';
export * from './fake-provider';
export * from './cache-fakes';
