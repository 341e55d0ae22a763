import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveResilience } from '@switchyard/core';
import { loadRoutingTable } from './routing-table.loader';

const BASE = `providers:
  sim: { kind: openai, baseUrl: http://127.0.0.1:4010/openai/v1 }
arms:
  - id: a
    provider: sim
    model: m
    pricing: { inputPer1M: 1, outputPer1M: 2 }
    contextWindow: 8000
    maxOutputTokens: 1000
`;

function load(resilienceYaml: string) {
  const path = join(mkdtempSync(join(tmpdir(), 'switchyard-table-')), 'routing.yaml');
  writeFileSync(path, BASE + resilienceYaml);
  return loadRoutingTable(path, {});
}

describe('routing table: resilience section', () => {
  it('is optional: no section, no overrides', () => {
    expect(load('').resilience).toEqual({});
  });

  it('passes every section through and completes a partial per-kind retry rule from the defaults', () => {
    const { resilience } = load(`resilience:
  retry:
    retryAfterCapMs: 5000
    perKind:
      server_error: { maxAttempts: 1 }
      rate_limited: { maxAttempts: 2, backoff: { baseMs: 100 } }
      timeout_connect: { maxAttempts: 2 }
  retryBudget: { ratio: 0.5, minRetries: 3 }
  breaker: { consecutiveFailures: 3, openBaseMs: 1000, openMaxMs: 4000 }
  fallback: { contentPolicy: { enabled: true }, noFallbackOn: [deadline_exceeded] }
  continuation: { maxContinuations: 1 }
  degradation: { replies: { faq: "We are busy, try again shortly." } }
  escalation: { afterFailedAttempts: 2, reviewClasses: [legal] }
  hedge: { classes: [chat], delayMs: 200 }
  stickiness: { ttlMs: 60000 }
`);
    const config = resolveResilience(resilience);
    expect(config.retry.retryAfterCapMs).toBe(5_000);
    expect(config.retry.perKind.server_error).toEqual({ maxAttempts: 1, backoff: { baseMs: 2_000, factor: 2, capMs: 30_000 } });
    expect(config.retry.perKind.rate_limited).toEqual({ maxAttempts: 2, backoff: { baseMs: 100, factor: 2, capMs: 30_000 } });
    expect(config.retry.perKind.timeout_connect).toEqual({ maxAttempts: 2, backoff: { baseMs: 1_000, factor: 2, capMs: 30_000 } });
    // Kinds the table does not mention keep their defaults.
    expect(config.retry.perKind.network?.maxAttempts).toBe(2);
    expect(config.retryBudget).toMatchObject({ ratio: 0.5, minRetries: 3, windowMs: 60_000 });
    expect(config.breaker).toMatchObject({ consecutiveFailures: 3, openBaseMs: 1_000, openMaxMs: 4_000, minimumCalls: 10 });
    expect(config.fallback).toEqual({ noFallbackOn: ['deadline_exceeded'], contentPolicy: { enabled: true } });
    expect(config.continuation.maxContinuations).toBe(1);
    expect(config.degradation).toEqual({ replies: { faq: 'We are busy, try again shortly.' }, neverOn: ['bad_request'] });
    expect(config.escalation).toEqual({ afterFailedAttempts: 2, reviewClasses: ['legal'] });
    expect(config.hedge).toMatchObject({ enabled: false, classes: ['chat'], delayMs: 200 });
    expect(config.stickiness).toEqual({ maxConversations: 10_000, ttlMs: 60_000 });
  });

  it.each([
    ['a typo in a section name', 'resilience:\n  retires: {}\n', /resilience: Unrecognized key.*retires/],
    ['a typo in a field', 'resilience:\n  breaker: { consecutiveFailure: 3 }\n', /resilience\.breaker: Unrecognized key.*consecutiveFailure/],
    ['an unknown error kind', 'resilience:\n  retry: { perKind: { server_errors: { maxAttempts: 2 } } }\n', /resilience\.retry\.perKind\.server_errors: unknown error kind "server_errors"/],
    ['a kind that is never retried', 'resilience:\n  retry: { perKind: { bad_request: { maxAttempts: 2 } } }\n', /resilience\.retry\.perKind\.bad_request: bad_request is never retried/],
    ['maxAttempts 0', 'resilience:\n  retry: { perKind: { server_error: { maxAttempts: 0 } } }\n', /maxAttempts counts the first attempt/],
    ['a failure rate above 1', 'resilience:\n  breaker: { failureRateThreshold: 50 }\n', /resilience\.breaker\.failureRateThreshold: failureRateThreshold is a fraction/],
    ['openMaxMs below openBaseMs', 'resilience:\n  breaker: { openBaseMs: 5000, openMaxMs: 1000 }\n', /resilience\.breaker\.openMaxMs: openMaxMs must be at least openBaseMs/],
    ['an unknown kind in noFallbackOn', 'resilience:\n  fallback: { noFallbackOn: [timeout] }\n', /resilience\.fallback\.noFallbackOn\.0: unknown error kind "timeout"/],
    ['an empty degraded reply', 'resilience:\n  degradation: { replies: { faq: "" } }\n', /resilience\.degradation\.replies\.faq: a degraded reply needs some text/],
    ['a fractional delay', 'resilience:\n  hedge: { delayMs: 1.5 }\n', /resilience\.hedge\.delayMs/],
  ])('refuses %s, naming the field', (_what, yaml, message) => {
    expect(() => load(yaml)).toThrow(message);
  });
});
