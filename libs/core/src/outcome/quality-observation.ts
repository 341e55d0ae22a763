/**
 * A quality score for one answer an arm gave: from an answer check (run on every answer, at once)
 * or from feedback (for some answers, seconds to hours later), joined to the arm and request class
 * that served it.
 */
export interface QualityObservation {
  arm: string;
  requestClass: string;
  /** 1 = acceptable, 0 = not; fractions for graded feedback. */
  score: number;
  /** `check` (an answer check: every answer, at once) or `feedback` (some answers, later). */
  kind: 'check' | 'feedback';
  /** Check name, or the feedback source (`user`, `evaluator`, `judge`, ...). */
  source: string;
  /** De-duplication key (e.g. request id + source): the same feedback counts once. */
  id?: string;
  /**
   * When the judged answer was given (epoch ms). Feedback may come hours late: it tells how the arm
   * was then, so it refreshes the arm's quality evidence only to that time (staleness counts from it).
   */
  answeredAt?: number;
}

/** Learns from quality observations (the adaptive policy). */
export interface QualitySink {
  recordQuality(observation: QualityObservation): void;
}
