import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, kafkaBrokersString } from './support/env';

/**
 * `bench:live` (and `bench:peers`, which drives the same engine) must keep starting: it once broke
 * silently when every bench phase got its own outcomes topic and the engine asked the broker to
 * create that topic twice. A one-minute scenario played 6× faster through real processes. It must
 * also keep teaching the routers as bench:policy does: the scenario's feedback reaches each router
 * (which joins it to the answer and learns it), and live answers are not cut by max_tokens (every
 * one was once, so the router's answer checks held every answer against its arm).
 */
describe('bench:live smoke run', () => {
  it('plays a short scenario through a router and provider-sim and accounts for every request', async () => {
    const out = mkdtempSync(join(tmpdir(), 'switchyard-live-smoke-'));
    const args = [
      join(REPO_ROOT, 'dist/bench/live/run.js'),
      '--scenario', join(REPO_ROOT, 'test/fixtures/live-smoke.yaml'),
      '--policies', 'switchyard,static-chain',
      '--time-scale', '6',
      '--out', out,
    ];
    const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, KAFKA_BROKERS: kafkaBrokersString() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`bench:live exited ${code}:\n${stderr.slice(-4000)}`);

    const summary = JSON.parse(readFileSync(join(out, 'live-smoke', 'summary.json'), 'utf8')) as {
      policies: Record<
        string,
        {
          sent: number;
          answered: number;
          lost: number;
          duplicateResponses: number;
          feedback: { published: number; applied: number | null } | null;
          answerChecks: Record<string, number> | null;
        }
      >;
    };
    for (const policy of ['switchyard', 'static-chain']) {
      const run = summary.policies[policy];
      expect(run).toBeDefined();
      expect(run.sent).toBeGreaterThan(0);
      expect(run.lost).toBe(0);
      expect(run.answered).toBe(run.sent);
      expect(run.duplicateResponses).toBe(0);
      // Feedback on half the answers, 2 s late: most of it falls due before the run ends.
      expect(run.feedback!.published).toBeGreaterThan(0);
      expect(run.feedback!.applied).toBe(run.feedback!.published);
      expect(Object.keys(run.answerChecks!)).toEqual(['pass']);
    }
  });
});
