import type { ReductionMethod } from './context-reduction';

/**
 * What a request class lets the router do with a conversation that fits no eligible arm's window
 * (routing table `classes.<name>.reduction`). `off` (the default) forbids it: the request fails
 * with `no_eligible_arm` as before.
 */
export type ClassReduction =
  | { method: 'off' }
  | { method: 'trim' }
  /** The dropped turns are condensed by `summarizeWith` (an arm id) in at most `summaryMaxTokens`. */
  | { method: 'summarize'; summarizeWith: string; summaryMaxTokens: number };

/** Share of the target window kept free: the prompt estimate is an estimate (token-estimate.ts). */
export const DEFAULT_REDUCTION_MARGIN = 0.1;

export const DEFAULT_SUMMARY_MAX_TOKENS = 512;

/** The reduction settings per class, replaced as a whole by a routing-table reload. */
export class ReductionSettings {
  private classes: ReadonlyMap<string, ClassReduction> = new Map();

  constructor(
    classes: Readonly<Record<string, ClassReduction>> = {},
    /** Fraction of the target window left unused (default 10 %). */
    readonly margin = DEFAULT_REDUCTION_MARGIN,
  ) {
    this.update(classes);
  }

  update(classes: Readonly<Record<string, ClassReduction>>): void {
    this.classes = new Map(Object.entries(classes));
  }

  forClass(requestClass: string): ClassReduction {
    return this.classes.get(requestClass) ?? { method: 'off' };
  }
}

/** What a reduced request carries to its response and trace (`reduced` in Response v1). */
export interface RunReduction {
  method: ReductionMethod;
  fromTokens: number;
  toTokens: number;
  droppedTurns: number;
  /** The arm whose window the prompt was reduced to fit. */
  targetArm: string;
  /** The summary call (`summarize`): its arm, cost, and why it failed (then the turns were only trimmed). */
  summary?: { arm: string; costUsd: number; latencyMs: number; error?: string };
  costUsd: number;
}

export type { ReductionMethod };
