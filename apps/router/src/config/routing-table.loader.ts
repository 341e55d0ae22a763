import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_RESILIENCE, type ArmConfig, type BudgetCaps, type KindRetryRule, type PolicyPriors, type ResilienceOverrides } from '@switchyard/core';
import { describeIssues, routingTableSchema, type CacheSection, type PolicySection, type ResilienceSection, type RoutingTable } from '@switchyard/contracts';
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
  /** Declared value per request class. */
  classes: RoutingTable['classes'];
  /** USD caps; absent means no budget enforcement. */
  budgets?: BudgetCaps;
  /** The response cache (`cache:`); absent means off unless a class turns it on. */
  cache?: CacheSection;
}

export const NO_KEY = 'switchyard-no-key';
const PUBLIC_APIS = new Set(['openai', 'anthropic']);

/**
 * Reads, validates and resolves the routing table; throws ConfigError naming the bad field.
 * String values may reference the environment (`${SIM_URL:-http://127.0.0.1:4010}/openai/v1`):
 * see {@link interpolateEnv}.
 */
export function loadRoutingTable(path: string, env: NodeJS.ProcessEnv = process.env): LoadedRoutingTable {
  return parseRoutingTable(readRoutingTableText(path), path, env);
}

/** The routing table file's text; a ConfigError when it cannot be read. */
export function readRoutingTableText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read routing table ${path} (ROUTING_TABLE): ${(err as Error).message}`);
  }
}

/**
 * Validates and resolves routing-table text read from `path` (startup and every reload: one set of
 * validation messages).
 */
export function parseRoutingTable(text: string, path: string, env: NodeJS.ProcessEnv = process.env): LoadedRoutingTable {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`Routing table ${path} is not valid YAML: ${(err as Error).message}`);
  }
  const interpolated = interpolateEnv(raw, env, path);
  const parsed = routingTableSchema.safeParse(interpolated.value);
  if (!parsed.success) {
    throw new ConfigError(`Invalid routing table ${path}: ${describeIssues(parsed.error)}${interpolationHint(parsed.error.issues, interpolated.templates)}`);
  }
  return resolve(parsed.data, path, env, interpolated.templates);
}

/** A `${…}` reference: a variable name, then optionally `:-` and a default (which may be empty). */
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

export interface Interpolated {
  value: unknown;
  /** The original text of every string that had a reference, by YAML path (`providers.openai.baseUrl`). */
  templates: Map<string, string>;
  /** Every variable referenced, in order of first use, and whether the text gave it a default. */
  variables: Map<string, { hasDefault: boolean }>;
}

/**
 * Replaces environment references in every string value of a parsed YAML document (keys and
 * non-string scalars are left alone; the result of a substitution is always a string):
 * - `${NAME}`: the value of NAME; a ConfigError naming the variable and the YAML path when NAME is
 *   not set (set but empty gives an empty string);
 * - `${NAME:-default}`: the value of NAME, or `default` when NAME is unset or empty (the default
 *   is taken literally: it ends at the first `}` and holds no further references);
 * - `$${` stands for a literal `${`.
 * A `${` that is not one of these is an error too, so a typo never reaches a provider as a URL.
 */
export function interpolateEnv(document: unknown, env: NodeJS.ProcessEnv, source = 'routing table'): Interpolated {
  const templates = new Map<string, string>();
  const variables = new Map<string, { hasDefault: boolean }>();
  const visit = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('${')) return node;
      const where = path.length ? path.join('.') : '(root)';
      const out = substitute(node, env, (name, hasDefault) => {
        variables.set(name, { hasDefault: hasDefault || (variables.get(name)?.hasDefault ?? false) });
      }, (problem) => new ConfigError(`Routing table ${source}: ${where}: ${problem}`));
      if (out !== node) templates.set(where, node);
      return out;
    }
    if (Array.isArray(node)) return node.map((item, i) => visit(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, visit(value, [...path, key])]));
    }
    return node;
  };
  return { value: visit(document, []), templates, variables };
}

function substitute(text: string, env: NodeJS.ProcessEnv, used: (name: string, hasDefault: boolean) => void, error: (problem: string) => Error): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) break;
    if (start > 0 && text[start - 1] === '$') {
      // `$${` → a literal `${` (the first `$` is dropped).
      out += text.slice(i, start - 1) + '${';
      i = start + 2;
      continue;
    }
    out += text.slice(i, start);
    const end = text.indexOf('}', start + 2);
    if (end < 0) throw error(`"${text}" has a \${ without a closing } (write $\${ for a literal \${)`);
    const inner = text.slice(start + 2, end);
    const match = REFERENCE.exec(inner);
    if (!match || (match[2] ?? '').includes('${')) {
      throw error(`"\${${inner}}" is not a valid reference: use \${NAME} or \${NAME:-default} (NAME: letters, digits, _; no nested references), or $\${ for a literal \${`);
    }
    const [, name, fallback] = match;
    used(name, fallback !== undefined);
    const value = env[name];
    if (fallback !== undefined) {
      out += value === undefined || value === '' ? fallback : value;
    } else if (value === undefined) {
      throw error(`\${${name}} needs the environment variable ${name}, which is not set (set it, or give a default: \${${name}:-…})`);
    } else {
      out += value;
    }
    i = end + 1;
  }
  return out + text.slice(i);
}

/** For validation issues on interpolated values: where the value came from (not the value: it may hold a secret). */
function interpolationHint(issues: readonly { path: PropertyKey[] }[], templates: Map<string, string>): string {
  const hints = new Set<string>();
  for (const issue of issues) {
    const where = issue.path.map(String).join('.');
    const template = templates.get(where);
    if (template !== undefined) hints.add(`${where} was interpolated from "${template}"`);
  }
  return hints.size ? ` (${[...hints].join('; ')})` : '';
}

function resolve(table: RoutingTable, path: string, env: NodeJS.ProcessEnv, templates: ReadonlyMap<string, string>): LoadedRoutingTable {
  const endpoints = Object.entries(table.providers).map(([name, p]): ProviderEndpointConfig => {
    const apiKey = readApiKey(name, p.apiKeyEnv, p.apiKeyFile, env, path);
    if (!apiKey && PUBLIC_APIS.has(p.kind) && !p.baseUrl) {
      throw new ConfigError(
        `Invalid routing table ${path}: providers.${name} calls the public ${p.kind} API but has no apiKeyEnv or apiKeyFile`,
      );
    }
    const secretHeaders = p.headers ? secretHeaderNames(name, p.headers, templates, path) : [];
    // A self-hosted endpoint (provider-sim, vLLM, a gateway) may need no key; the SDKs insist on
    // a non-empty one, so send a placeholder that is obviously not a secret.
    return {
      name,
      kind: p.kind,
      baseUrl: p.baseUrl,
      apiKey: apiKey ?? (p.baseUrl ? NO_KEY : undefined),
      ...(p.auth ? { auth: p.auth } : {}),
      ...(p.headers ? { headers: p.headers } : {}),
      ...(secretHeaders.length ? { secretHeaders } : {}),
    };
  });
  const kinds = new Map(endpoints.map((e) => [e.name, e.kind]));
  const armPriors: Record<string, Partial<PolicyPriors>> = {};
  const arms = table.arms.map(({ priors, ...a }): ArmConfig => {
    if (priors) armPriors[a.id] = toPolicyPriors(priors);
    return { ...a, providerKind: kinds.get(a.provider)! };
  });
  return { arms, endpoints, resilience: toResilienceOverrides(table.resilience), policy: table.policy, armPriors, budgets: table.budgets, classes: table.classes, cache: table.cache };
}

/** Header names that carry credentials by convention (Authorization, x-api-key, *-token, *-secret, …). */
const CREDENTIAL_HEADER = /(^|[-_])(authorization|auth|api[-_]?key|key|token|secret|password|passwd|cookie|signature|credentials?)($|[-_])/i;
/** A whole `${NAME}` reference without a default: the value is the environment's alone. */
const BARE_REFERENCE = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

/**
 * Which of an endpoint's headers are secrets, redacted wherever the endpoint is shown and scrubbed
 * from messages: those named like a credential, and any whose value comes from an environment
 * variable without a default. A credential-named header must take its value from the environment
 * (`${NAME}`), so no secret is ever written into the table itself.
 */
function secretHeaderNames(provider: string, headers: Record<string, string>, templates: ReadonlyMap<string, string>, path: string): string[] {
  const secret: string[] = [];
  for (const header of Object.keys(headers)) {
    const template = templates.get(`providers.${provider}.headers.${header}`);
    const fromEnv = template !== undefined && BARE_REFERENCE.test(template);
    if (CREDENTIAL_HEADER.test(header)) {
      if (!fromEnv) {
        throw new ConfigError(
          `Invalid routing table ${path}: providers.${provider}.headers.${header} is a credential and must come from the environment: write "\${NAME}" and set NAME (the value is then redacted wherever the table is shown)`,
        );
      }
      secret.push(header);
    } else if (fromEnv) {
      secret.push(header);
    }
  }
  return secret;
}

/** Routing-table priors → the policy's: a quality share with its weight becomes Beta pseudo-counts. */
function toPolicyPriors(priors: NonNullable<RoutingTable['arms'][number]['priors']>): Partial<PolicyPriors> {
  const { quality, qualityWeight, ...rest } = priors;
  if (quality === undefined) return rest;
  const weight = qualityWeight ?? 5;
  return { ...rest, qualityAlpha: quality * weight, qualityBeta: (1 - quality) * weight };
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
