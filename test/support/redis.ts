// A Redis server for e2e suites that need one (STATE_BACKEND=redis), through infra/redis.sh.
// - REDIS_URL set: use that server, start nothing (and `stop`/`start` are unavailable).
// - otherwise: `bash infra/redis.sh fetch` (apt-get install redis-server once, if missing) and
//   `start` on a test port, REDIS_TEST_PORT (default 16379) + slot n, run dir .infra/redis-test[-n]
//   (wiped; nothing persisted). Slots are claimed like the test Kafka's (a lock dir owned by this
//   pid), so two runs in one tree never share or stop each other's server.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './env';
import { claimSlot } from './slot-lock';

const SLOTS = 8;

export interface TestRedis {
  url: string;
  /** True when this helper started the server (so the suite may stop/start it). */
  managed: boolean;
  /** Stops the server (SIGTERM); only when managed. */
  stop(): void;
  /** Starts it again on the same port; only when managed. */
  start(): void;
  /** Stops it and frees the slot; a no-op for an external server. */
  teardown(): void;
}

function redisSh(command: 'fetch' | 'start' | 'stop', env: NodeJS.ProcessEnv): void {
  execFileSync('bash', [join(REPO_ROOT, 'infra', 'redis.sh'), command], { cwd: REPO_ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A Redis for this suite: REDIS_URL's, or one started on a free test slot. */
export async function startTestRedis(): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (external) {
    const unavailable = () => {
      throw new Error('REDIS_URL points at an external Redis: the suite cannot stop or start it');
    };
    return { url: external, managed: false, stop: unavailable, start: unavailable, teardown: () => undefined };
  }
  for (let n = 0; n < SLOTS; n++) {
    const port = Number(process.env.REDIS_TEST_PORT || 16379) + n;
    const suffix = n === 0 ? '' : `-${n}`;
    const runDir = join(REPO_ROOT, '.infra', `redis-test${suffix}`);
    const lockDir = `${runDir}.lock`;
    if (!claimSlot(lockDir)) continue;
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_PORT: String(port), REDIS_RUN_DIR: runDir, REDIS_PERSIST: 'false' };
    redisSh('stop', env); // a server left over from an interrupted run in this slot
    if (await portOpen(port)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    rmSync(runDir, { recursive: true, force: true });
    try {
      redisSh('fetch', env);
      redisSh('start', env);
    } catch (err) {
      redisSh('stop', env);
      rmSync(lockDir, { recursive: true, force: true });
      throw err;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      managed: true,
      stop: () => redisSh('stop', env),
      start: () => redisSh('start', env),
      teardown: () => {
        redisSh('stop', env);
        rmSync(lockDir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`all ${SLOTS} test Redis slots are in use (see .infra/redis-test*.lock); set REDIS_URL or REDIS_TEST_PORT`);
}
