/** How the API key travels: `x-api-key: <key>`, `Authorization: Bearer <key>`, or both headers. */
export type AuthScheme = 'x-api-key' | 'bearer' | 'both';

export const AUTH_SCHEMES: readonly AuthScheme[] = ['x-api-key', 'bearer', 'both'];

/**
 * One configured provider endpoint. Arms name it through `ArmConfig.provider`; the registry keeps
 * exactly one SDK client (and one keep-alive connection pool) per endpoint.
 */
export interface ProviderEndpointConfig {
  /** Unique name, referenced by `ArmConfig.provider` (e.g. `openai`, `anthropic`, `local-vllm`). */
  name: string;
  kind: 'openai' | 'anthropic' | 'openai-compatible';
  /** Defaults to the vendor's public API; required for `openai-compatible`. */
  baseUrl?: string;
  /** Never logged, never part of an error message. Optional for `openai-compatible`. */
  apiKey?: string;
  /** Header(s) the key is sent in; default {@link defaultAuthScheme} of the kind. */
  auth?: AuthScheme;
  /** Extra headers sent on every request (e.g. an `OpenAI-Organization` or a gateway token). */
  headers?: Record<string, string>;
  /** Names of `headers` whose values are credentials: redacted wherever the endpoint is shown, scrubbed from messages. */
  secretHeaders?: readonly string[];
}

/** What each API documents: Anthropic `x-api-key` (with `anthropic-version`), OpenAI and compatible servers `Authorization: Bearer`. */
export function defaultAuthScheme(kind: ProviderEndpointConfig['kind']): AuthScheme {
  return kind === 'anthropic' ? 'x-api-key' : 'bearer';
}

/**
 * The auth headers to lay over an SDK's own: the SDKs send `Authorization: Bearer <key>` (the
 * Anthropic SDK too, since 1.x), so `x-api-key` alone removes that header (`null`) and adds its own.
 */
export function authHeaders(endpoint: Pick<ProviderEndpointConfig, 'kind' | 'auth'>, apiKey: string): Record<string, string | null> {
  switch (endpoint.auth ?? defaultAuthScheme(endpoint.kind)) {
    case 'x-api-key':
      return { authorization: null, 'x-api-key': apiKey };
    case 'both':
      return { authorization: `Bearer ${apiKey}`, 'x-api-key': apiKey };
    case 'bearer':
      return { authorization: `Bearer ${apiKey}` };
  }
}

/**
 * Every header an endpoint adds to the SDK's own: the auth scheme's, then the configured `headers`
 * (names lower-cased), which win, so a gateway's own `Authorization` survives an `x-api-key` scheme.
 */
export function endpointHeaders(endpoint: ProviderEndpointConfig, apiKey: string): Record<string, string | null> {
  const configured = Object.fromEntries(Object.entries(endpoint.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return { ...authHeaders(endpoint, apiKey), ...configured };
}

/** Every credential of an endpoint (its key and its secret header values), for scrubbing text. */
export function endpointSecrets(endpoint: ProviderEndpointConfig): string[] {
  const secret = new Set((endpoint.secretHeaders ?? []).map((h) => h.toLowerCase()));
  const values = Object.entries(endpoint.headers ?? {}).flatMap(([name, value]) => (secret.has(name.toLowerCase()) && value ? [value] : []));
  return [...(endpoint.apiKey ? [endpoint.apiKey] : []), ...values];
}

export const REDACTED = '[redacted]';

/** The endpoint as it may be shown (health, logs, reload reports): no key, secret header values redacted. */
export function describeEndpoint(endpoint: ProviderEndpointConfig): { name: string; kind: string; baseUrl?: string; auth: AuthScheme; headers?: Record<string, string> } {
  const secret = new Set((endpoint.secretHeaders ?? []).map((h) => h.toLowerCase()));
  const headers = endpoint.headers
    ? Object.fromEntries(Object.entries(endpoint.headers).map(([name, value]) => [name, secret.has(name.toLowerCase()) ? REDACTED : value]))
    : undefined;
  return {
    name: endpoint.name,
    kind: endpoint.kind,
    // A base URL may carry credentials of its own (`https://user:pass@gateway`).
    ...(endpoint.baseUrl ? { baseUrl: endpoint.baseUrl.replace(/\/\/[^/@]*@/, `//${REDACTED}@`) } : {}),
    auth: endpoint.auth ?? defaultAuthScheme(endpoint.kind),
    ...(headers ? { headers } : {}),
  };
}
