// The router's figures against the physical-limit reference of the same run (issue 22): CPU per
// request split into the bare Kafka echo's, the bare SDK call's and the router's own share, and
// throughput and added latency as ratios to the echo's.
import { round } from '../support/stats';
import type { InstantResults } from './results';

export interface LatencyVsEcho {
  rate: number;
  router: { p50: number; p99: number };
  echo: { p50: number; p99: number };
  /** router ÷ echo, p50 and p99 (null when the echo's is 0). */
  ratio: { p50: number | null; p99: number | null };
  saturated: boolean;
}

export interface ReferenceBreakdown {
  cpuMsPerRequest: { router: number | null; echo: number | null; providerCall: number; ownShare: number | null };
  throughput: { router: number; echo: number; ratio: number | null };
  addedLatency: LatencyVsEcho[];
}

const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);

export function referenceBreakdown(instant: InstantResults): ReferenceBreakdown | undefined {
  const ref = instant.reference;
  if (!ref) return undefined;
  const router = instant.steady.routerCpuMsPerResponse;
  const echo = ref.echo.steady.routerCpuMsPerResponse;
  const providerCall = ref.sdk.cpuMsPerCall;
  return {
    cpuMsPerRequest: { router, echo, providerCall, ownShare: router === null || echo === null ? null : round(router - echo - providerCall, 3) },
    throughput: { router: instant.steady.responsesPerS, echo: ref.echo.steady.responsesPerS, ratio: ratio(instant.steady.responsesPerS, ref.echo.steady.responsesPerS) },
    addedLatency: instant.paced.flatMap((p) => {
      const e = ref.echo.paced.find((x) => x.targetRate === p.targetRate);
      if (!e) return [];
      return [
        {
          rate: p.targetRate,
          router: { p50: p.addedMs.p50, p99: p.addedMs.p99 },
          echo: { p50: e.addedMs.p50, p99: e.addedMs.p99 },
          ratio: { p50: ratio(p.addedMs.p50, e.addedMs.p50), p99: ratio(p.addedMs.p99, e.addedMs.p99) },
          saturated: p.saturated || e.saturated,
        },
      ];
    }),
  };
}
