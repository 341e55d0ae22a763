export * from './budget-guard';
export * from './budget-store';
export * from './budget-window';
export * from './in-memory-budget-store';
export * from './pacer';
