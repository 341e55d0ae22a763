export * from './manual-clock';
export * from './fake-provider';
