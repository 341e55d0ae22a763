/** Something that knows an arm's recent latency P95 (hedging reads it to choose a hedge delay). */
export interface LatencyEstimator {
  /** Milliseconds, or undefined while the arm has too few observations to say. */
  p95(armId: string): number | undefined;
  /** The recent P99 of ok calls, once there are enough of them (hung-call detection reads it). */
  p99?(armId: string): number | undefined;
}
