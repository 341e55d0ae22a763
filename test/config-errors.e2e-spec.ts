import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/env';

/** A bad configuration stops the process with the reason and exit code 78, before any I/O. */
function runRouter(env: Record<string, string>) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'dist/apps/router/src/main.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

function tableFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'switchyard-cfg-')), 'routing.yaml');
  writeFileSync(path, yaml);
  return path;
}

describe('configuration errors', () => {
  it('names the bad field of the routing table', () => {
    const path = tableFile(`providers:
  sim: { kind: openai, baseUrl: http://127.0.0.1:4010/openai/v1 }
arms:
  - id: a
    provider: sim
    model: m
    pricing: { inputPer1M: cheap, outputPer1M: 1 }
    contextWindow: 1000
    maxOutputTokens: 100
`);
    const run = runRouter({ ROUTING_TABLE: path });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/Invalid routing table .*arms\.0\.pricing\.inputPer1M/);
  });

  it('refuses an arm that names an undeclared provider', () => {
    const path = tableFile(`providers:
  sim: { kind: openai, baseUrl: http://127.0.0.1:4010/openai/v1 }
arms:
  - { id: a, provider: nope, model: m, pricing: { inputPer1M: 1, outputPer1M: 1 }, contextWindow: 1000, maxOutputTokens: 100 }
`);
    const run = runRouter({ ROUTING_TABLE: path });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/arms\.0\.provider: unknown provider "nope"/);
  });

  it('names an invalid environment variable', () => {
    const run = runRouter({ ROUTER_MAX_IN_FLIGHT: 'lots' });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/Invalid environment variables: ROUTER_MAX_IN_FLIGHT/);
  });

  it.each([
    ['HTTP_PORT', { HTTP_PORT: '70000' }, /HTTP_PORT: must be a TCP port/],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: 'localhost' }, /KAFKA_BROKERS: must be a comma-separated list of host:port/],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: '127.0.0.1:99999' }, /KAFKA_BROKERS: .*port above 65535|KAFKA_BROKERS: must be/],
  ])('names %s when its value cannot work', (_name, env, message) => {
    const run = runRouter(env);
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(message);
  });

  it('exits 78 naming HTTP_PORT when the port is taken, before joining the consumer group', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // Its Kafka is unreachable: reaching the HTTP bind first is what makes this answer quick.
      const run = runRouter({ HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' });
      expect(run.status).toBe(78);
      expect(run.stderr).toMatch(new RegExp(`HTTP_PORT / HTTP_HOST: 127.0.0.1:${port} is already in use`));
    } finally {
      server.close();
    }
  });

  it('refuses a public provider without an API key', () => {
    const path = tableFile(`providers:
  openai: { kind: openai }
arms:
  - { id: a, provider: openai, model: gpt-4o, pricing: { inputPer1M: 1, outputPer1M: 1 }, contextWindow: 1000, maxOutputTokens: 100 }
`);
    const run = runRouter({ ROUTING_TABLE: path });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/providers.openai .*no apiKeyEnv or apiKeyFile/);
  });
});
