import { documentedBound, empiricalCompletion, type CompletionTimeModel } from './completion-time';

export interface CompletionTimeLearnerOptions {
  /** The provider's documented window (24 h on both APIs): the prior, and the cap on what is learnt. */
  windowMs: number;
  /** Completions seen before the observed times replace the prior. */
  minSamples?: number;
  /** The most recent completions kept per arm (providers' batch queues change over the day). */
  maxSamples?: number;
  /** What is assumed before `minSamples` completions (default: the documented bound, uniform over the window). */
  prior?: CompletionTimeModel;
}

/**
 * The learned batch completion-time distribution of each arm: the documented bound until enough
 * batches of the arm have completed, then their observed times (the most recent `maxSamples`).
 * A batch that expired counts as taking the whole window, so expiries weigh on P(done in time).
 */
export class CompletionTimeLearner {
  private readonly samples = new Map<string, number[]>();
  private readonly prior: CompletionTimeModel;
  private readonly minSamples: number;
  private readonly maxSamples: number;

  constructor(private readonly options: CompletionTimeLearnerOptions) {
    this.prior = options.prior ?? documentedBound(options.windowMs);
    this.minSamples = options.minSamples ?? 5;
    this.maxSamples = options.maxSamples ?? 200;
  }

  /** A batch of `armId` ended after `ms` (completed), or expired (`ms` ignored: the window). */
  observe(armId: string, ms: number, expired = false): void {
    const list = this.samples.get(armId) ?? [];
    list.push(expired ? this.options.windowMs : Math.min(Math.max(ms, 0), this.options.windowMs));
    if (list.length > this.maxSamples) list.shift();
    this.samples.set(armId, list);
  }

  model(armId: string): CompletionTimeModel {
    const list = this.samples.get(armId);
    return list && list.length >= this.minSamples ? empiricalCompletion(list) : this.prior;
  }

  sampleCount(armId: string): number {
    return this.samples.get(armId)?.length ?? 0;
  }
}
