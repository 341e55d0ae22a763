import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveResilience } from '@switchyard/core';
import { ConfigError } from './env';
import { interpolateEnv, loadRoutingTable } from './routing-table.loader';

/** One arm `a` on provider `sim`: the table every test here starts from. */
const ARM_A = `arms:
  - id: a
    provider: sim
    model: m
    pricing: { inputPer1M: 1, outputPer1M: 2 }
    contextWindow: 8000
    maxOutputTokens: 1000
`;

const BASE = `providers:
  sim: { kind: openai, baseUrl: http://127.0.0.1:4010/openai/v1 }
${ARM_A}`;

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
  retryBudget: { ratio: 0.5, minRetriesPerSecond: 3 }
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
    expect(config.retryBudget).toMatchObject({ ratio: 0.5, minRetriesPerSecond: 3, windowMs: 60_000 });
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

describe('routing table: environment interpolation', () => {
  const table = (providers: string, extra = '') => `providers:
${providers}
${ARM_A}${extra}`;
  const write = (yaml: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'switchyard-table-')), 'routing.yaml');
    writeFileSync(path, yaml);
    return path;
  };
  const SIM = '  sim: { kind: openai, baseUrl: "${SIM_URL:-http://127.0.0.1:4010}/openai/v1" }';

  it('uses the default when the variable is unset or empty', () => {
    const path = write(table(SIM));
    expect(loadRoutingTable(path, {}).endpoints[0].baseUrl).toBe('http://127.0.0.1:4010/openai/v1');
    expect(loadRoutingTable(path, { SIM_URL: '' }).endpoints[0].baseUrl).toBe('http://127.0.0.1:4010/openai/v1');
  });

  it('uses the variable when it is set', () => {
    const path = write(table(SIM));
    expect(loadRoutingTable(path, { SIM_URL: 'http://provider-sim:4010' }).endpoints[0].baseUrl).toBe('http://provider-sim:4010/openai/v1');
  });

  it('replaces every reference in a string, in nested maps and lists, and leaves other scalars alone', () => {
    const path = write(
      table(
        '  sim: { kind: openai, baseUrl: "http://${SIM_HOST}:${SIM_PORT:-4010}/v1", headers: { x-team: "${TEAM}", x-cost: "$$5" } }',
        'resilience:\n  degradation: { replies: { faq: "${FAQ_REPLY:-busy} (code ${CODE:-})" } }\n  hedge: { classes: ["${HEDGE_CLASS}"], delayMs: 200 }\n',
      ),
    );
    const loaded = loadRoutingTable(path, { SIM_HOST: 'sim.internal', TEAM: 'search', HEDGE_CLASS: 'chat' });
    expect(loaded.endpoints[0]).toMatchObject({ baseUrl: 'http://sim.internal:4010/v1', headers: { 'x-team': 'search', 'x-cost': '$$5' } });
    expect(loaded.resilience.degradation).toEqual({ replies: { faq: 'busy (code )' } });
    expect(loaded.resilience.hedge).toEqual({ classes: ['chat'], delayMs: 200 });
    expect(loaded.arms[0].pricing).toEqual({ inputPer1M: 1, outputPer1M: 2 });
  });

  it('keeps $${ as a literal ${', () => {
    const path = write(table('  sim: { kind: openai, baseUrl: http://127.0.0.1:4010/v1, headers: { x-template: "$${NOT_A_VAR} and ${A}" } }'));
    expect(loadRoutingTable(path, { A: 'a' }).endpoints[0].headers).toEqual({ 'x-template': '${NOT_A_VAR} and a' });
  });

  it('tells a table still using the renamed retry floor what to write instead', () => {
    expect(() => load(`resilience:\n  retryBudget: { minRetries: 10 }\n`)).toThrow(/resilience\.retryBudget\.minRetries: minRetries \(a floor per window\) was replaced by minRetriesPerSecond/);
  });

  it('refuses an unset variable without a default, naming the variable and the YAML path', () => {
    const path = write(table('  sim: { kind: openai, baseUrl: "${SIM_URL}/openai/v1" }'));
    expect(() => loadRoutingTable(path, {})).toThrow(
      `Routing table ${path}: providers.sim.baseUrl: \${SIM_URL} needs the environment variable SIM_URL, which is not set (set it, or give a default: \${SIM_URL:-…})`,
    );
    expect(() => loadRoutingTable(path, {})).toThrow(ConfigError);
  });

  it('names the list index in the path', () => {
    const path = write(table('  sim: { kind: openai, baseUrl: http://127.0.0.1:4010/v1 }', 'resilience:\n  hedge: { classes: [chat, "${SECOND_CLASS}"] }\n'));
    expect(() => loadRoutingTable(path, {})).toThrow(/resilience\.hedge\.classes\.1: \$\{SECOND_CLASS\} needs the environment variable SECOND_CLASS/);
  });

  it.each([
    ['an unclosed reference', '"${SIM_URL/v1"', /providers\.sim\.baseUrl: .*without a closing \}/],
    ['a bad variable name', '"${SIM-URL}/v1"', /providers\.sim\.baseUrl: "\$\{SIM-URL\}" is not a valid reference: use \$\{NAME\} or \$\{NAME:-default\}/],
    ['an empty reference', '"${}/v1"', /"\$\{\}" is not a valid reference/],
    ['a nested reference', '"${A:-${B}}/v1"', /no nested references/],
  ])('refuses %s', (_what, value, message) => {
    const path = write(table(`  sim: { kind: openai, baseUrl: ${value} }`));
    expect(() => loadRoutingTable(path, { A: 'x', B: 'y', SIM_URL: 'z' })).toThrow(message);
  });

  it('says where a value that fails validation came from, without printing the value', () => {
    const path = write(table(SIM));
    let message = '';
    try {
      loadRoutingTable(path, { SIM_URL: 'not a url' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('providers.sim.baseUrl: Invalid URL');
    expect(message).toContain('providers.sim.baseUrl was interpolated from "${SIM_URL:-http://127.0.0.1:4010}/openai/v1"');
    expect(message).not.toContain('not a url');
  });

  it('reports the variables a document references', () => {
    const { variables, templates } = interpolateEnv({ a: '${X:-1}', b: ['${Y}', 'plain'], c: 3 }, { Y: 'y' });
    expect([...variables]).toEqual([
      ['X', { hasDefault: true }],
      ['Y', { hasDefault: false }],
    ]);
    expect([...templates.keys()]).toEqual(['a', 'b.0']);
  });

  it('loads every shipped routing table under config/ with and without SIM_URL', () => {
    const dir = join(__dirname, '../../../../config');
    const tables = readdirSync(dir).filter((f) => /^routing.*\.ya?ml$/.test(f));
    expect(tables).toContain('routing.yaml');
    for (const file of tables) {
      const defaults = loadRoutingTable(join(dir, file), {});
      expect(defaults.endpoints.map((e) => e.baseUrl).every((url) => url?.startsWith('http://127.0.0.1:4010/'))).toBe(true);
      const moved = loadRoutingTable(join(dir, file), { SIM_URL: 'http://provider-sim:4010' });
      expect(moved.endpoints.map((e) => e.baseUrl).every((url) => url?.startsWith('http://provider-sim:4010/'))).toBe(true);
    }
  });
});

describe('routing table: cache section', () => {
  it('takes guards and a judge arm per class, and refuses a judge that is not an arm', () => {
    const { classes } = load(`cache: { mode: read-write }
classes:
  faq: { cache: { guards: false, verifyWith: a } }
`);
    expect(classes.faq.cache).toEqual({ guards: false, verifyWith: 'a' });
    expect(() => load(`classes:\n  faq: { cache: { mode: read-write, verifyWith: judge } }\n`)).toThrow(/classes\.faq\.cache\.verifyWith: unknown arm "judge" as the cache judge; arms: a/);
  });
});
