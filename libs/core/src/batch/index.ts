export * from './batch-port';
export * from './batch-ledger';
export * from './in-memory-batch-ledger';
export * from './completion-time';
export * from './batch-decision';
export * from './completion-time-learner';
