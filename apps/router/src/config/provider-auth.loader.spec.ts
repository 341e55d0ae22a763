import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEndpoint, endpointSecrets } from '@switchyard/providers';
import { ConfigError } from './env';
import { loadRoutingTable } from './routing-table.loader';

function write(provider: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'switchyard-auth-')), 'routing.yaml');
  writeFileSync(
    path,
    `providers:\n${provider}\narms:\n  - { id: a, provider: proxy, model: claude-haiku-4-5, pricing: { inputPer1M: 1, outputPer1M: 2 }, contextWindow: 8000, maxOutputTokens: 1000 }\n`,
  );
  return path;
}

const PROXY = `  proxy:
    kind: anthropic
    baseUrl: https://llm-proxy.internal
    apiKeyEnv: PROXY_KEY
    auth: x-api-key
    headers: { x-proxy-token: "\${PROXY_TOKEN}", x-team: search }`;

describe('routing table: provider auth and secret headers', () => {
  const env = { PROXY_KEY: 'sk-proxy-key-0001', PROXY_TOKEN: 'tok-secret-0002' };

  it('reads the auth scheme and marks a credential header from the environment as secret', () => {
    const [endpoint] = loadRoutingTable(write(PROXY), env).endpoints;
    expect(endpoint).toMatchObject({ auth: 'x-api-key', apiKey: 'sk-proxy-key-0001', headers: { 'x-proxy-token': 'tok-secret-0002', 'x-team': 'search' }, secretHeaders: ['x-proxy-token'] });
    expect(endpointSecrets(endpoint)).toEqual(['sk-proxy-key-0001', 'tok-secret-0002']);
    expect(JSON.stringify(describeEndpoint(endpoint))).not.toMatch(/tok-secret|sk-proxy/);
  });

  it('leaves auth to the kind default when absent', () => {
    const [endpoint] = loadRoutingTable(write('  proxy: { kind: anthropic, baseUrl: http://127.0.0.1:1/anthropic }'), {}).endpoints;
    expect(endpoint.auth).toBeUndefined();
    expect(describeEndpoint(endpoint).auth).toBe('x-api-key');
  });

  it('treats any header whose value is a bare ${NAME} as secret, whatever its name', () => {
    const [endpoint] = loadRoutingTable(write('  proxy: { kind: anthropic, baseUrl: http://127.0.0.1:1, headers: { x-tenant-ref: "${REF}", x-team: "${TEAM:-search}" } }'), { REF: 'r-123456' }).endpoints;
    expect(endpoint.secretHeaders).toEqual(['x-tenant-ref']);
  });

  it.each([
    ['a literal', 'x-api-key: sk-literal-in-the-table'],
    ['a literal default', 'authorization: "${TOKEN:-Bearer sk-default}"'],
  ])('refuses a credential header written as %s, without echoing the value', (_what, header) => {
    const path = write(`  proxy: { kind: anthropic, baseUrl: http://127.0.0.1:1, headers: { ${header} } }`);
    const load = () => loadRoutingTable(path, {});
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/headers\.(x-api-key|authorization) is a credential and must come from the environment/);
    expect(load).not.toThrow(/sk-literal|sk-default/);
  });

  it('names a missing variable of a secret header', () => {
    expect(() => loadRoutingTable(write(PROXY), { PROXY_KEY: 'k' })).toThrow(/providers\.proxy\.headers\.x-proxy-token: \$\{PROXY_TOKEN\} needs the environment variable PROXY_TOKEN, which is not set/);
  });

  it('refuses an unknown auth scheme', () => {
    expect(() => loadRoutingTable(write('  proxy: { kind: anthropic, baseUrl: http://127.0.0.1:1, auth: basic }'), {})).toThrow(/providers\.proxy\.auth/);
  });
});
