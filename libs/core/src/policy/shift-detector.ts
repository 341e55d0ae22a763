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
    this.down.reset();
    this.up.reset();
    return segment;
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
