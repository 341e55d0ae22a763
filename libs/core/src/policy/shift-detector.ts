/**
 * A two-sided Bernoulli CUSUM (Page, 1954) that notices an abrupt change in an arm's success rate
 * long before a discounted posterior with a memory of ~333 observations would.
 *
 * Down side: each outcome adds the log-likelihood ratio of "the rate fell to ρ·p" against "the
 * rate is still p" (p = the posterior mean before the outcome). Up side: the same for "the failure
 * rate fell to ρ·(1−p)", so a recovered arm is believed after a couple of good probes. Each sum is
 * floored at 0. The down side alarms above `threshold` (ln 10⁴ ≈ 9.2: four failures close together
 * on a 97% arm — by chance about once in 36 000 requests — or about fifteen outcomes when it
 * silently slides to 60%). The up side alarms sooner, above `upThreshold` (ln 100 ≈ 4.6: two or
 * three successes on an arm that was down), because a false "it got better" corrects itself (the
 * arm gets tried and fails) while a false "it got worse" starves the arm of the traffic that would
 * correct it.
 * The outcomes counted since the alarming sum last left 0 estimate the arm after the change and
 * replace the posterior's evidence.
 */
export class ShiftDetector {
  private readonly down = new Cusum();
  private readonly up = new Cusum();

  constructor(
    private readonly threshold = Math.log(10_000),
    private readonly ratio = 0.5,
    private readonly upThreshold = Math.log(100),
  ) {}

  /** Returns the evidence since the estimated change point when a shift is detected. */
  observe(success: boolean, baseline: number): { successes: number; failures: number } | undefined {
    const p0 = Math.min(0.99, Math.max(0.01, baseline));
    const pDown = p0 * this.ratio;
    const pUp = 1 - (1 - p0) * this.ratio;
    const down = this.down.add(success, success ? Math.log(pDown / p0) : Math.log((1 - pDown) / (1 - p0)));
    const up = this.up.add(success, success ? Math.log(pUp / p0) : Math.log((1 - pUp) / (1 - p0)));
    const alarm = down >= this.threshold ? this.down : up >= this.upThreshold ? this.up : undefined;
    if (!alarm) return undefined;
    const segment = { successes: alarm.successes, failures: alarm.failures };
    this.reset();
    return segment;
  }

  /** Forgets both sums, e.g. when the posterior was replaced from elsewhere. */
  reset(): void {
    this.down.reset();
    this.up.reset();
  }
}

class Cusum {
  statistic = 0;
  successes = 0;
  failures = 0;

  add(success: boolean, llr: number): number {
    this.statistic = Math.max(0, this.statistic + llr);
    if (this.statistic === 0) {
      this.successes = 0;
      this.failures = 0;
    } else if (success) {
      this.successes++;
    } else {
      this.failures++;
    }
    return this.statistic;
  }

  reset(): void {
    this.statistic = 0;
    this.successes = 0;
    this.failures = 0;
  }
}

/** Sufficient statistics of the observations since an estimated change point. */
export interface LatencySegment {
  count: number;
  mean: number;
  /** Sum of squared deviations from `mean`. */
  m2: number;
}

/**
 * A two-sided Gaussian CUSUM on x = ln(latency) standardised against the posterior before the
 * observation: z = (x − μ)/σ, clipped to ±`clip` so that one outlier cannot alarm alone. The up sum
 * S⁺ = max(0, S⁺ + z − k) notices the arm getting slower, the down sum S⁻ = max(0, S⁻ − z − k)
 * notices it getting faster again (k = 0.5: tuned for a shift of about one σ). Either alarms above
 * `threshold` (default 8: four observations at ≥ 2.5σ, e.g. a ×6 latency spike on an arm whose
 * P95/median is 2.6; with log-normal latency a false alarm comes about once in several thousand
 * observations). The observations counted since the alarming sum last left 0 estimate the arm after
 * the change and replace the latency posterior's evidence — the same rule as the success detector.
 */
export class LatencyShiftDetector {
  private readonly up = new GaussianCusum();
  private readonly down = new GaussianCusum();

  constructor(
    private readonly threshold = 8,
    private readonly slack = 0.5,
    private readonly clip = 3,
  ) {}

  observe(x: number, mean: number, sd: number): LatencySegment | undefined {
    const z = Math.max(-this.clip, Math.min(this.clip, (x - mean) / Math.max(1e-3, sd)));
    const up = this.up.add(x, z - this.slack);
    const down = this.down.add(x, -z - this.slack);
    const alarm = up >= this.threshold ? this.up : down >= this.threshold ? this.down : undefined;
    if (!alarm) return undefined;
    const segment = { count: alarm.count, mean: alarm.mean, m2: alarm.m2 };
    this.reset();
    return segment;
  }

  reset(): void {
    this.up.reset();
    this.down.reset();
  }
}

class GaussianCusum {
  statistic = 0;
  count = 0;
  mean = 0;
  m2 = 0;

  add(x: number, increment: number): number {
    this.statistic = Math.max(0, this.statistic + increment);
    if (this.statistic === 0) {
      this.count = 0;
      this.mean = 0;
      this.m2 = 0;
    } else {
      this.count++;
      const delta = x - this.mean;
      this.mean += delta / this.count;
      this.m2 += delta * (x - this.mean);
    }
    return this.statistic;
  }

  reset(): void {
    this.statistic = 0;
    this.count = 0;
    this.mean = 0;
    this.m2 = 0;
  }
}
