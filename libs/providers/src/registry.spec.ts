import { AnthropicProvider } from './anthropic/anthropic-provider';
import { OpenAiCompatibleProvider } from './openai-compatible/openai-compatible-provider';
import { OpenAiProvider } from './openai/openai-provider';
import { SdkProviderRegistry } from './registry';
import { testArm } from './testing/fixtures';

describe('SdkProviderRegistry', () => {
  const endpoints = [
    { name: 'openai', kind: 'openai' as const, apiKey: 'sk-openai-xxxxxxxx' },
    { name: 'anthropic', kind: 'anthropic' as const, apiKey: 'sk-ant-xxxxxxxx' },
    { name: 'local', kind: 'openai-compatible' as const, baseUrl: 'http://127.0.0.1:11434/v1' },
  ];
  let registry: SdkProviderRegistry;
  beforeEach(() => {
    registry = new SdkProviderRegistry(endpoints);
  });
  afterEach(() => registry.close());

  it('builds one client per endpoint and picks it by arm.provider', () => {
    expect(registry.names).toEqual(['openai', 'anthropic', 'local']);
    expect(registry.providerFor(testArm({ provider: 'openai' }))).toBeInstanceOf(OpenAiProvider);
    expect(registry.providerFor(testArm({ provider: 'anthropic' }))).toBeInstanceOf(AnthropicProvider);
    expect(registry.providerFor(testArm({ provider: 'local' }))).toBeInstanceOf(OpenAiCompatibleProvider);
    // the same client for every arm of an endpoint
    expect(registry.providerFor(testArm({ id: 'a', provider: 'openai' }))).toBe(registry.providerFor(testArm({ id: 'b', provider: 'openai' })));
  });

  it('names the missing provider', () => {
    expect(() => registry.providerFor(testArm({ id: 'azure-gpt-4o', provider: 'azure' }))).toThrow(
      'arm "azure-gpt-4o" uses provider "azure", which is not configured (configured providers: openai, anthropic, local)',
    );
  });

  it('rejects duplicate names and bad endpoints at construction, without leaking keys', () => {
    expect(() => new SdkProviderRegistry([endpoints[0], endpoints[0]])).toThrow('provider endpoint "openai" is configured twice');
    expect(() => new SdkProviderRegistry([{ name: 'o', kind: 'openai' }])).toThrow(/"o" \(openai\) needs an apiKey/);
    expect(() => new SdkProviderRegistry([{ name: 'x', kind: 'bogus' as never, apiKey: 'sk-secret-zzzz' }])).toThrow(
      'provider endpoint "x": unknown kind "bogus"',
    );
  });

  it('on update keeps the client of an unchanged endpoint, builds one for a new or changed endpoint, and refuses a bad list without changing anything', async () => {
    const openai = registry.providerFor(testArm({ provider: 'openai' }));
    const local = registry.providerFor(testArm({ provider: 'local' }));
    const changed = registry.update([endpoints[0], { ...endpoints[2], baseUrl: 'http://127.0.0.1:8000/v1' }, { name: 'vllm', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9000/v1' }], 0);
    expect(changed.sort()).toEqual(['anthropic', 'local', 'vllm']);
    expect(registry.providerFor(testArm({ provider: 'openai' }))).toBe(openai);
    expect(registry.providerFor(testArm({ provider: 'local' }))).not.toBe(local);
    expect(() => registry.providerFor(testArm({ provider: 'anthropic' }))).toThrow(/not configured/);
    expect(() => registry.update([endpoints[0], endpoints[0]], 0)).toThrow('configured twice');
    expect(registry.names).toEqual(['openai', 'local', 'vllm']);
    await new Promise((r) => setTimeout(r, 5));
  });
});
