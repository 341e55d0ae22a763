import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyConfigError, ApiKeyStore, loadApiKeys, sha256Hex } from './api-keys';

describe('ApiKeyStore', () => {
  it('finds the tenant of a key by its SHA-256 and nothing for another key', () => {
    const store = new ApiKeyStore([{ tenant: 'acme', sha256: sha256Hex('sk-acme') }]);
    expect(store.tenantOf('sk-acme')).toBe('acme');
    expect(store.tenantOf('sk-acme ')).toBeUndefined();
    expect(store.tenantOf('')).toBeUndefined();
  });

  it('refuses one key hash configured for two tenants', () => {
    const sha256 = sha256Hex('shared');
    expect(() => new ApiKeyStore([{ tenant: 'a', sha256 }, { tenant: 'b', sha256 }])).toThrow(ApiKeyConfigError);
  });
});

describe('loadApiKeys', () => {
  it('reads tenant:sha256 entries from FRONTDOOR_API_KEYS and a YAML file, adding them up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const file = join(dir, 'keys.yaml');
    writeFileSync(file, `keys:\n  - tenant: beta\n    sha256: ${sha256Hex('sk-beta').toUpperCase()}\n    name: ci\n`);
    const store = loadApiKeys({ FRONTDOOR_API_KEYS: `acme:${sha256Hex('sk-acme')}, gamma:${sha256Hex('sk-gamma')}`, FRONTDOOR_API_KEYS_FILE: file });
    expect(store.size).toBe(3);
    expect([store.tenantOf('sk-acme'), store.tenantOf('sk-beta'), store.tenantOf('sk-gamma')]).toEqual(['acme', 'beta', 'gamma']);
  });

  it('names the bad entry and never echoes a key or hash', () => {
    expect(() => loadApiKeys({ FRONTDOOR_API_KEYS: `acme:${sha256Hex('x')},beta:sk-plaintext-key` })).toThrow(/FRONTDOOR_API_KEYS: entry 2 must be tenant:sha256hex/);
    expect(() => loadApiKeys({ FRONTDOOR_API_KEYS: 'beta:sk-plaintext-key' })).not.toThrow(/sk-plaintext-key/);
    expect(() => loadApiKeys({ FRONTDOOR_API_KEYS_FILE: '/nonexistent/keys.yaml' })).toThrow(/FRONTDOOR_API_KEYS_FILE: cannot read \/nonexistent\/keys.yaml \(ENOENT\)/);
  });

  it('is empty when neither variable is set', () => {
    expect(loadApiKeys({}).size).toBe(0);
  });
});
