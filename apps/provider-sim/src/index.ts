// Public entry point of the provider simulator (for tests, benchmarks and scripts).
export { startProviderSim, resolveConfig, type ProviderSim, type ProviderSimOptions } from './server';
export type { CallRecord, CallOutcome, SimStats, ModelCounters } from './call-log';
export type {
  ApiKind,
  Faults,
  LatencySpec,
  ModelInput,
  ModelPatch,
  ModelSpec,
  PhaseSpec,
  SimConfig,
  SimConfigInput,
} from './config-schema';
export { ConfigError, normalizeConfig, readConfigFile } from './config-loader';
export { DEFAULT_CONFIG } from './config-defaults';
export { HEADER_ATTEMPT, HEADER_FORCE_FAULT, HEADER_REQUEST_ID } from './provider-handler';
