import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_RESILIENCE, type ArmConfig, type BudgetCaps, type KindRetryRule, type PolicyPriors, type ResilienceOverrides } from '@switchyard/core';
import { describeIssues, routingTableSchema, type PolicySection, type ResilienceSection, type RoutingTable } from '@switchyard/contracts';
import type { ProviderEndpointConfig } from '@switchyard/providers';
import { ConfigError } from './env';

export interface LoadedRoutingTable {
  arms: ArmConfig[];
  endpoints: ProviderEndpointConfig[];
  /** The table's `resilience:` section, over the core's DEFAULT_RESILIENCE. */
  resilience: ResilienceOverrides;
  /** The table's `policy:` section (selector and its settings). */
  policy: PolicySection;
  /** Per-arm priors for the adaptive policy, by arm id. */
  armPriors: Record<string, Partial<PolicyPriors>>;
  /** USD caps; absent means no budget enforcement. */
  budgets?: BudgetCaps;
}

export const NO_KEY = 'switchyard-no-key';
const PUBLIC_APIS = new Set(['openai', 'anthropic']);

/** Reads, validates and resolves the routing table; throws ConfigError naming the bad field. */
export function loadRoutingTable(path: string, env: NodeJS.ProcessEnv = process.env): LoadedRoutingTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read routing table ${path} (ROUTING_TABLE): ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`Routing table ${path} is not valid YAML: ${(err as Error).message}`);
  }
  const parsed = routingTableSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`Invalid routing table ${path}: ${describeIssues(parsed.error)}`);
  return resolve(parsed.data, path, env);
}

function resolve(table: RoutingTable, path: string, env: NodeJS.ProcessEnv): LoadedRoutingTable {
  const endpoints = Object.entries(table.providers).map(([name, p]): ProviderEndpointConfig => {
    const apiKey = readApiKey(name, p.apiKeyEnv, p.apiKeyFile, env, path);
    if (!apiKey && PUBLIC_APIS.has(p.kind) && !p.baseUrl) {
      throw new ConfigError(
        `Invalid routing table ${path}: providers.${name} calls the public ${p.kind} API but has no apiKeyEnv or apiKeyFile`,
      );
    }
    // A self-hosted endpoint (provider-sim, vLLM, a gateway) may need no key; the SDKs insist on
    // a non-empty one, so send a placeholder that is obviously not a secret.
    return { name, kind: p.kind, baseUrl: p.baseUrl, apiKey: apiKey ?? (p.baseUrl ? NO_KEY : undefined), headers: p.headers };
  });
  const kinds = new Map(endpoints.map((e) => [e.name, e.kind]));
  const armPriors: Record<string, Partial<PolicyPriors>> = {};
  const arms = table.arms.map(({ priors, ...a }): ArmConfig => {
    if (priors) armPriors[a.id] = priors;
    return { ...a, providerKind: kinds.get(a.provider)! };
  });
  return { arms, endpoints, resilience: toResilienceOverrides(table.resilience), policy: table.policy, armPriors, budgets: table.budgets };
}

/** Backoff for a kind the defaults do not retry, when the table gives none. */
const FALLBACK_BACKOFF = { baseMs: 1_000, factor: 2, capMs: 30_000 };

/**
 * The YAML section as core overrides. A per-kind retry rule may give only `maxAttempts` or part
 * of `backoff`: the rest comes from that kind's default rule.
 */
export function toResilienceOverrides(section: ResilienceSection | undefined): ResilienceOverrides {
  if (!section) return {};
  const { retry, ...rest } = section;
  const overrides: ResilienceOverrides = { ...rest };
  if (retry) {
    const perKind: Partial<Record<string, KindRetryRule>> = {};
    for (const [kind, rule] of Object.entries(retry.perKind ?? {})) {
      const base = DEFAULT_RESILIENCE.retry.perKind[kind as keyof typeof DEFAULT_RESILIENCE.retry.perKind];
      perKind[kind] = { maxAttempts: rule.maxAttempts, backoff: { ...(base?.backoff ?? FALLBACK_BACKOFF), ...rule.backoff } };
    }
    overrides.retry = { ...(retry.retryAfterCapMs !== undefined ? { retryAfterCapMs: retry.retryAfterCapMs } : {}), ...(retry.perKind ? { perKind } : {}) };
  }
  return overrides;
}

function readApiKey(name: string, envName: string | undefined, file: string | undefined, env: NodeJS.ProcessEnv, path: string): string | undefined {
  if (envName) {
    const value = env[envName];
    if (!value) throw new ConfigError(`providers.${name}.apiKeyEnv names ${envName}, which is not set (routing table ${path})`);
    return value.trim();
  }
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`providers.${name}.apiKeyFile ${file} cannot be read: ${(err as Error).message}`);
    }
  }
  return undefined;
}
