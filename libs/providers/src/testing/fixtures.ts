import type { ArmConfig, ProviderCall, ProviderError } from '@switchyard/core';
import { makeArm } from '@switchyard/core/testing';

export function testArm(overrides: Partial<ArmConfig> = {}): ArmConfig {
  return makeArm(overrides.id ?? 'test-arm', {
    provider: 'test',
    model: 'gpt-4o',
    pricing: { inputPer1M: 2.5, outputPer1M: 10 },
    timeouts: { connectMs: 1000, totalMs: 3000 },
    ...overrides,
  });
}

export function testCall(arm: ArmConfig, overrides: Partial<ProviderCall> = {}): ProviderCall {
  return {
    arm,
    requestId: 'req-123',
    attempt: 2,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello?' },
    ],
    signal: new AbortController().signal,
    ...overrides,
  };
}

/**
 * Runs `fn`, returns what it threw (fails the test when it does not throw). Typed as ProviderError
 * for convenient assertions; tests that care check `isProviderError` too.
 */
export async function caught(fn: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await fn();
  } catch (error) {
    return error as ProviderError;
  }
  throw new Error('expected the call to throw');
}
