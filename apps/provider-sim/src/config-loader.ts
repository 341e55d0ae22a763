// Turns config input (file, HTTP body, programmatic object) into a normalised SimConfig, and merges
// model patches. Validation errors are thrown as ConfigError with a readable message.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  configInputSchema,
  modelPatchSchema,
  type ModelInput,
  type ModelPatch,
  type ModelSpec,
  type SimConfig,
  type SimConfigInput,
} from './config-schema';
import {
  DEFAULT_CALL_LOG_CAPACITY,
  DEFAULT_CONTEXT_WINDOW,
  DEFAULT_LATENCY,
  DEFAULT_OUTPUT_TOKENS,
  DEFAULT_SEED,
  defaultFaults,
} from './config-defaults';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describe(error: z.ZodError): string {
  return z.prettifyError(error);
}

export function parseConfigInput(raw: unknown): SimConfigInput {
  const result = configInputSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(`invalid simulator config:\n${describe(result.error)}`);
  return result.data;
}

export function parseModelPatch(raw: unknown): ModelPatch {
  const result = modelPatchSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(`invalid model patch:\n${describe(result.error)}`);
  return result.data;
}

export function normalizeModel(input: ModelInput): ModelSpec {
  const model: ModelSpec = {
    name: input.name,
    api: input.api,
    contextWindow: input.contextWindow ?? DEFAULT_CONTEXT_WINDOW,
    outputTokens: input.outputTokens ?? DEFAULT_OUTPUT_TOKENS,
    latency: { ...DEFAULT_LATENCY, ...input.latency },
    faults: { ...defaultFaults(input.api), ...input.faults },
  };
  if (input.responseModel !== undefined) model.responseModel = input.responseModel;
  if (input.maxOutputTokens !== undefined) model.maxOutputTokens = input.maxOutputTokens;
  checkModel(model);
  return model;
}

function checkModel(model: ModelSpec): void {
  if (model.latency.p95Ms < model.latency.medianMs) {
    throw new ConfigError(`model ${model.name}: latency.p95Ms (${model.latency.p95Ms}) < medianMs (${model.latency.medianMs})`);
  }
}

/** Returns a new ModelSpec with `patch` deep-merged (latency and faults merge field by field). */
export function applyModelPatch(model: ModelSpec, patch: ModelPatch): ModelSpec {
  const next: ModelSpec = {
    ...model,
    ...stripUndefined({
      responseModel: patch.responseModel,
      contextWindow: patch.contextWindow,
      maxOutputTokens: patch.maxOutputTokens,
      outputTokens: patch.outputTokens,
    }),
    latency: { ...model.latency, ...stripUndefined(patch.latency ?? {}) },
    faults: { ...model.faults, ...stripUndefined(patch.faults ?? {}) },
  };
  checkModel(next);
  return next;
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export interface NormalizeOverrides {
  seed?: number;
  latencyScale?: number;
  callLogCapacity?: number;
  strict?: boolean;
  apiKeys?: string[];
}

export function normalizeConfig(raw: unknown, overrides: NormalizeOverrides = {}): SimConfig {
  const input = parseConfigInput(raw);
  const models = input.models.map(normalizeModel);
  const seen = new Set<string>();
  for (const m of models) {
    const key = `${m.api}:${m.name}`;
    if (seen.has(key)) throw new ConfigError(`model ${m.name} is listed twice for the ${m.api} API`);
    seen.add(key);
  }
  for (const phase of input.phases ?? []) {
    if (phase.model !== '*' && !models.some((m) => m.name === phase.model && (!phase.api || m.api === phase.api))) {
      throw new ConfigError(`phase at ${phase.atMs}ms refers to unknown model ${phase.model}`);
    }
  }
  return {
    seed: overrides.seed ?? input.seed ?? DEFAULT_SEED,
    latencyScale: overrides.latencyScale ?? input.latencyScale ?? 1,
    callLogCapacity: overrides.callLogCapacity ?? input.callLogCapacity ?? DEFAULT_CALL_LOG_CAPACITY,
    strict: overrides.strict ?? input.strict ?? true,
    ...(overrides.apiKeys ?? input.apiKeys ? { apiKeys: overrides.apiKeys ?? input.apiKeys } : {}),
    models,
    phases: [...(input.phases ?? [])].sort((a, b) => a.atMs - b.atMs),
  };
}

/** Reads a YAML (.yaml/.yml) or JSON file; returns the raw (unvalidated) object. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read simulator config ${path}: ${(err as Error).message}`);
  }
  try {
    return extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`cannot parse simulator config ${path}: ${(err as Error).message}`);
  }
}
