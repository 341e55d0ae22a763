export * from './dd-sketch';
export * from './latency-estimator';
export * from './rolling-count';
export * from './sampler';
export * from './sliding-sketch';
export * from './outcome-time';
