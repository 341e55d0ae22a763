/** Randomness, injected so sampling and jitter are repeatable under a seed. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: small, fast, good enough for sampling and jitter; deterministic for a seed. */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
