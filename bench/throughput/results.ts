// What the throughput benchmark measures: written as throughput.json, rendered by report.ts.
import type { ProfileSummary } from '../support/cpu-profile';
import type { CpuShare } from '../support/proc-cpu';
import type { Summary } from '../support/stats';
import type { CONFIG } from './config';

export interface ThroughputResult {
  requests: number;
  received: number;
  failed: number;
  duplicates: number;
  produce: { seconds: number; rate: number };
  firstToLastS: number;
  /** (received − 1) / (last response − first response): responses per second seen by the client. */
  responsesPerS: number;
  /** Same, from router "ready" (drain) or from the first produce call (steady) to the last response. */
  endToEndPerS: number;
  /** Best 2-second window of responses/s. */
  peak2sPerS: number;
  simPeakInFlight: number;
  routerPeakInFlight: number | null;
  /** Time cap of the phase; `complete` is false when not every response arrived within it. */
  capS: number;
  complete: boolean;
  /** Cores used by each process during the phase (CPU seconds / wall seconds). */
  cpuCores: CpuShare;
  /** Router CPU time per response during the phase (ms): contention-independent cost of one request. */
  routerCpuMsPerResponse: number | null;
  /** 1000 / routerCpuMsPerResponse: the rate one dedicated core could sustain at that cost. */
  projectedPerCorePerS: number | null;
}

/** The router's event-loop delay and GC pauses during a phase (bench/support/loop-stats-preload.ts). */
export interface LoopStats {
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
}

export interface PacedResult {
  targetRate: number;
  seconds: number;
  sent: number;
  received: number;
  failed: number;
  achievedSendRate: number;
  /** Requests measured (sent after the warm-up second). */
  measured: number;
  e2eMs: Summary;
  simHandlingMs: Summary;
  addedMs: Summary;
  kafkaTsInRouterMs: Summary;
  routerRouteMs: Summary;
  routerOverheadInRouteMs: Summary;
  breakdownP50Ms: { inbound: number; provider: number; routerAfterProvider: number; outbound: number };
  /** The same legs' P99s: where the tail comes from. */
  breakdownP99Ms: { inbound: number; provider: number; routerAfterProvider: number; outbound: number };
  cpuCores: CpuShare;
  routerCpuMsPerResponse: number | null;
  /** Requests not yet answered when the last one was sent. */
  backlogAtSendEnd: number;
  /** True when the router fell behind the offered load (backlog > 100 ms of load when sending ended): latencies are then queueing. */
  saturated: boolean;
  /** The router's event-loop delay and GC pauses during the phase (the echo has none). */
  routerLoop?: LoopStats;
}

/** The bare SDK call loop's figures (sdk-loop-process.ts). */
export interface SdkLoopResult {
  calls: number;
  failed: number;
  concurrency: number;
  seconds: number;
  callsPerS: number;
  /** CPU of the loop's process per call (ms): the provider call's share of a request. */
  cpuMsPerCall: number;
}

/** The physical-limit reference measured in the same run: the bare Kafka echo and the bare SDK loop. */
export interface ReferenceResults {
  echo: { paced: PacedResult[]; steady: ThroughputResult };
  sdk: SdkLoopResult;
}

export interface InstantResults {
  drain: ThroughputResult;
  steady: ThroughputResult;
  paced: PacedResult[];
  routerStartupS: number;
  profile?: ProfileSummary;
  reference?: ReferenceResults;
}

export interface SlowResult {
  maxInFlight: number;
  backlog: number;
  windowS: number;
  /** Responses received in [first response, first response + window) / window. */
  sustainedPerS: number;
  receivedInWindow: number;
  failedInWindow: number;
  simPeakInFlight: number;
  routerPeakInFlight: number | null;
  /** Little's law bound: maxInFlight / provider latency. */
  theoreticalPerS: number;
  e2eMs: Summary;
  cpuCores: CpuShare;
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

export type BenchResults = {
  benchmark: string;
  command: string;
  variant: string;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  environment: Record<string, unknown> & { node: string; cpuCount: number; kafkaVersion: string; note: string };
  config: typeof CONFIG & Record<string, unknown>;
  results: { instant: InstantResults; slow: SlowResult[] };
  goals: Goal[];
};
