import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { eventually } from './support/drills';
import { REPO_ROOT } from './support/env';
import { routingTableFor } from './support/router-process';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A router whose broker is unreachable at start: /health/ready says what it waits for and why,
 * and after ROUTER_STARTUP_WAIT_MS the process exits with the documented code 69 and a clear
 * message, instead of logging errors forever.
 */
describe('startup with an unreachable broker', () => {
  it('reports "waiting for Kafka at …" with the last error on /health/ready, then exits with code 69', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/apps/router/src/main.js')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: '127.0.0.1:1',
        ROUTER_STARTUP_WAIT_MS: '8000',
        HTTP_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        OTEL_SDK_DISABLED: 'true',
        NO_COLOR: '1',
        ROUTING_TABLE: routingTableFor('http://127.0.0.1:9', [{ id: 'primary', provider: 'openai', model: 'gpt-4o-mini' }]),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let ready: { status: number; body: { details?: { startup?: Record<string, unknown> } } } | undefined;
      await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
          if (!res) return false;
          ready = { status: res.status, body: (await res.json()) as never };
          return typeof ready.body.details?.startup?.lastError === 'string';
        },
        7_000,
        '/health/ready reporting the startup wait with an error',
      );
      expect(ready!.status).toBe(503);
      expect(ready!.body.details!.startup).toMatchObject({ status: 'down', waiting: 'waiting for Kafka at 127.0.0.1:1', lastError: expect.stringMatching(/ECONNREFUSED|Connection/i), giveUpAfterMs: 8_000 });
      expect(await exited).toBe(69);
      expect(stderr).toMatch(/switchyard-router: gave up waiting for Kafka at 127\.0\.0\.1:1 after \d+ s .*exiting with code 69 \(ROUTER_STARTUP_WAIT_MS\)/);
      // The same connection error is written once, not once per retry.
      const errors = output.split('\n').filter((l) => /\bERROR\b/.test(l));
      expect(errors.length).toBeLessThan(10);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
