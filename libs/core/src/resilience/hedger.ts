import type { Clock } from '../ports/clock';
import type { AttemptResult } from '../routing/attempt-runner';

/** One attempt that can be started with its own abort signal. */
export interface HedgeLeg {
  arm: string;
  run(signal: AbortSignal): Promise<AttemptResult>;
}

export interface HedgeRace {
  clock: Clock;
  /** How long the primary may stay silent before the hedge starts. */
  delayMs: number;
  primary: HedgeLeg;
  /** Called once the delay passes without an answer; undefined when no hedge can start. */
  startHedge: () => HedgeLeg | undefined;
  signal?: AbortSignal;
}

export interface HedgeRaceResult {
  /** Every attempt that ran, in the order they finished. */
  results: AttemptResult[];
  /** The first successful one, if any. */
  winner?: AttemptResult;
  hedged: boolean;
}

export const HEDGE_LOST = 'hedge lost';

/**
 * Hedged request (Dean & Barroso, "The Tail at Scale"): if the primary has not answered after
 * `delayMs`, a second attempt starts on another arm; the first success wins and the other is
 * aborted. An aborted loser reports `cancelled` with cost 0 — its usage is unknown; a loser that
 * had already completed keeps its real cost.
 */
export async function raceHedged(race: HedgeRace): Promise<HedgeRaceResult> {
  const primaryAbort = linkedController(race.signal);
  let primaryDone = false;
  const primary = race.primary.run(primaryAbort.signal).finally(() => {
    primaryDone = true;
  });
  const timerAbort = new AbortController();
  const timer = race.clock.sleep(race.delayMs, timerAbort.signal).then(
    () => true,
    () => false,
  );
  const delayPassed = await Promise.race([primary.then(() => false), timer]);
  timerAbort.abort();
  const leg = delayPassed && !primaryDone ? race.startHedge() : undefined;
  if (!leg) {
    const result = await primary;
    primaryAbort.release();
    return { results: [result], winner: isOk(result) ? result : undefined, hedged: false };
  }

  const hedgeAbort = linkedController(race.signal);
  const hedge = leg.run(hedgeAbort.signal);
  const legs = [
    { promise: primary, abort: primaryAbort },
    { promise: hedge, abort: hedgeAbort },
  ];
  try {
    const firstIndex = await Promise.race(legs.map((l, i) => l.promise.then(() => i)));
    const first = await legs[firstIndex].promise;
    const other = legs[1 - firstIndex];
    if (isOk(first)) other.abort.controller.abort(HEDGE_LOST);
    const second = await other.promise;
    const winner = isOk(first) ? first : isOk(second) ? second : undefined;
    return { results: [first, second], winner, hedged: true };
  } finally {
    primaryAbort.release();
    hedgeAbort.release();
  }
}

function isOk(result: AttemptResult): boolean {
  return result.outcome.kind === 'ok' && result.reply !== undefined;
}

function linkedController(parent?: AbortSignal): { controller: AbortController; signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  return { controller, signal: controller.signal, release: () => parent?.removeEventListener('abort', onAbort) };
}
