import type { Clock } from '../ports/clock';
import type { ArmConfig } from '../routing/arm';
import type { EligibilityRule } from '../routing/eligibility';

/** A token bucket: `capacity` tokens, refilled continuously at `capacity` per minute. */
class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  available(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) * this.capacity) / 60_000);
    this.at = now;
    return this.tokens;
  }

  /** May go below zero: eligibility and the call are not one atomic step, and the debt refills. */
  take(amount: number, now: number): void {
    this.available(now);
    this.tokens -= amount;
  }

  /** Milliseconds until `amount` tokens are available. */
  waitMs(amount: number, now: number): number {
    const missing = amount - this.available(now);
    return missing <= 0 ? 0 : Math.ceil((missing * 60_000) / this.capacity);
  }
}

interface ArmBuckets {
  requests?: TokenBucket;
  tokens?: TokenBucket;
  /** The limits the buckets were made for (a reload keeps buckets whose limits did not change). */
  rpm?: number;
  tpm?: number;
}

/**
 * Client-side rate limits per arm (routing table `rateLimit: { rpm, tpm }`), so the router avoids
 * the 429s it can predict: an arm whose bucket is empty is not eligible and traffic goes elsewhere
 * instead of being refused by the provider. Token budgets are charged with an estimate before the
 * call and corrected with the real usage after.
 */
export class ArmRateLimiter {
  private readonly buckets = new Map<string, ArmBuckets>();

  constructor(
    private readonly clock: Clock,
    arms: readonly ArmConfig[],
  ) {
    this.update(arms);
  }

  /**
   * The arms of a (re)loaded routing table: an arm whose limits did not change keeps its buckets,
   * debt included, so a reload cannot be used to burst past a provider's limit.
   */
  update(arms: readonly ArmConfig[]): void {
    const now = this.clock.now();
    const next = new Map<string, ArmBuckets>();
    for (const arm of arms) {
      const { rpm, tpm } = arm.rateLimit ?? {};
      if (!rpm && !tpm) continue;
      const old = this.buckets.get(arm.id);
      next.set(arm.id, old && old.rpm === rpm && old.tpm === tpm ? old : { rpm, tpm, requests: rpm ? new TokenBucket(rpm, now) : undefined, tokens: tpm ? new TokenBucket(tpm, now) : undefined });
    }
    this.buckets.clear();
    for (const [id, b] of next) this.buckets.set(id, b);
  }

  get active(): boolean {
    return this.buckets.size > 0;
  }

  /** Tokens a call is charged up front: the prompt estimate plus the output it may produce. */
  static estimate(arm: ArmConfig, promptTokens: number, maxTokens: number | undefined): number {
    return promptTokens + Math.min(maxTokens ?? 256, arm.maxOutputTokens);
  }

  readonly eligibilityRule: EligibilityRule = (arm, ctx) => {
    const b = this.buckets.get(arm.id);
    if (!b) return undefined;
    const now = this.clock.now();
    if (b.requests && b.requests.available(now) < 1) {
      return `rate limit: ${arm.rateLimit!.rpm} requests/min reached, next slot in ~${b.requests.waitMs(1, now)} ms`;
    }
    const needed = ArmRateLimiter.estimate(arm, ctx.promptTokens, ctx.request.params.maxTokens);
    if (b.tokens && b.tokens.available(now) < needed) {
      return `rate limit: ${arm.rateLimit!.tpm} tokens/min reached, ~${needed} tokens free in ~${b.tokens.waitMs(needed, now)} ms`;
    }
    return undefined;
  };

  /** Charges one request and its estimated tokens; returns the estimate to correct later. */
  acquire(arm: ArmConfig, promptTokens: number, maxTokens: number | undefined): number {
    const b = this.buckets.get(arm.id);
    if (!b) return 0;
    const now = this.clock.now();
    const estimate = ArmRateLimiter.estimate(arm, promptTokens, maxTokens);
    b.requests?.take(1, now);
    b.tokens?.take(estimate, now);
    return estimate;
  }

  /** Replaces the estimate by the tokens the call really used (a refund when it used fewer). */
  settle(armId: string, estimated: number, actualTokens: number): void {
    this.buckets.get(armId)?.tokens?.take(actualTokens - estimated, this.clock.now());
  }
}
