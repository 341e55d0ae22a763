// The throughput benchmark's settings: command-line flag and BENCH_* environment (run.ts lists them).
import { join } from 'node:path';
import { REPO_ROOT } from '../support/env';

const list = (raw: string | undefined, fallback: number[]) => (raw ? raw.split(',').map((v) => Number(v.trim())).filter((v) => v > 0) : fallback);

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

export const CONFIG = {
  /** --quick: the regression guard (smaller phases, no 2-second-provider phases). */
  quick,
  partitions: 6,
  requests: Number(process.env.BENCH_REQUESTS ?? (quick ? 10_000 : 30_000)),
  produceBatch: 1_000,
  produceConcurrency: 4,
  pacedRates: list(process.env.BENCH_PACED_RATES, quick ? [1_000] : [200, 500, 1_000, 1_500]),
  pacedSeconds: Number(process.env.BENCH_PACED_SECONDS ?? (quick ? 6 : 10)),
  pacedWarmupSeconds: 1,
  slowLatencyMs: 2_000,
  slowWindowS: Number(process.env.BENCH_SLOW_WINDOW_S ?? 16),
  slowInFlight: list(process.env.BENCH_SLOW_IN_FLIGHT, [512, 256]),
  simModel: 'gpt-4o-mini',
  simOutputTokens: 150,
  profile: process.env.BENCH_PROFILE === '1',
  /** BENCH_PROFILE=steady: profile the paced + steady-state router instead (warm, paced loads). */
  profileSteady: process.env.BENCH_PROFILE === 'steady',
  /** Tracing (OpenTelemetry SDK) in the router: off unless BENCH_OTEL=1 (no collector runs during the bench). */
  otel: process.env.BENCH_OTEL === '1',
  /** Each backlog phase stops measuring after this long (the run stays bounded even if the router stalls). */
  phaseCapS: Number(process.env.BENCH_PHASE_CAP_S ?? 30),
  /** What-if: routers run with bench/support/kafkajs-max-wait-preload (kafkajs consumer maxWaitTimeInMs). */
  kafkajsMaxWaitMs: process.env.BENCH_KAFKAJS_MAX_WAIT_MS ? Number(process.env.BENCH_KAFKAJS_MAX_WAIT_MS) : undefined,
  /** Requests sent (as fast as possible) and answered before the paced phases, not measured. */
  routerWarmup: Number(process.env.BENCH_ROUTER_WARMUP ?? 5_000),
  /** Seconds of broker JIT warm-up when the bench starts the broker itself (0: none). */
  brokerWarmupS: Number(process.env.BENCH_BROKER_WARMUP_S ?? 20),
  /** --quick only: fail (exit 3) above this router CPU per request in the steady state. */
  maxCpuMs: process.env.BENCH_MAX_CPU_MS ? Number(process.env.BENCH_MAX_CPU_MS) : undefined,
  /** BENCH_ROUTER_CPUS: pin every router to these CPUs (taskset -c), e.g. "1"; the rest of the bench keeps all of them. */
  routerCpus: process.env.BENCH_ROUTER_CPUS || undefined,
  progressEveryMs: 2_000,
  outDir: process.env.BENCH_OUT ?? join(REPO_ROOT, 'bench', 'results'),
};
