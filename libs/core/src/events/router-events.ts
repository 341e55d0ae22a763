import type { Decision } from '../routing/arm-selector';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
import type { RouteResult } from '../routing/route-result';

/**
 * What the core tells the outside world. Telemetry, metrics and health subscribe; the core never
 * imports them. Events are plain data and emitting must not throw into the routing loop.
 */
export type RouterEvent =
  | { type: 'request.started'; requestId: string; tenant: string; requestClass: string; at: number }
  | { type: 'decision'; requestId: string; at: number; decision: Decision; step: number }
  | { type: 'attempt.started'; requestId: string; at: number; arm: string; attempt: number; model: string; provider: string }
  | { type: 'attempt.finished'; requestId: string; at: number; outcome: AttemptOutcome }
  | { type: 'fallback'; requestId: string; at: number; from: string; reason: string }
  | { type: 'request.finished'; requestId: string; at: number; result: RouteResult };

export interface RouterEvents {
  emit(event: RouterEvent): void;
}

/** Fans one event out to many listeners; a throwing listener is isolated from the others. */
export class RouterEventBus implements RouterEvents {
  private readonly listeners: Array<(event: RouterEvent) => void> = [];

  subscribe(listener: (event: RouterEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(event: RouterEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (metrics, tracing) must never fail a request.
      }
    }
  }
}
