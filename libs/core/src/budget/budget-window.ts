export type BudgetWindow = 'minute' | 'hour' | 'day' | 'month';

export const BUDGET_WINDOWS: readonly BudgetWindow[] = ['minute', 'hour', 'day', 'month'];

/**
 * The id of the UTC window containing `now` (clock ms), e.g. `hour:2025-03-01T14`. Every replica
 * computes the same id from its clock, so a shared store needs no coordination to roll windows.
 */
export function windowId(window: BudgetWindow, now: number): string {
  const iso = new Date(now).toISOString();
  switch (window) {
    case 'minute':
      return `minute:${iso.slice(0, 16)}`;
    case 'hour':
      return `hour:${iso.slice(0, 13)}`;
    case 'day':
      return `day:${iso.slice(0, 10)}`;
    case 'month':
      return `month:${iso.slice(0, 7)}`;
  }
}

/** The last bounds computed per window kind: the pacer asks several times per decision, mostly in the same window. */
const lastBounds = new Map<BudgetWindow, { start: number; end: number }>();

/** Start and end (clock ms, UTC) of the window containing `now`. */
export function windowBounds(window: BudgetWindow, now: number): { start: number; end: number } {
  const last = lastBounds.get(window);
  if (last && now >= last.start && now < last.end) return last;
  const bounds = computeBounds(window, now);
  lastBounds.set(window, bounds);
  return bounds;
}

function computeBounds(window: BudgetWindow, now: number): { start: number; end: number } {
  const d = new Date(now);
  switch (window) {
    case 'minute': {
      const start = Math.floor(now / 60_000) * 60_000;
      return { start, end: start + 60_000 };
    }
    case 'hour': {
      const start = Math.floor(now / 3_600_000) * 3_600_000;
      return { start, end: start + 3_600_000 };
    }
    case 'day': {
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      return { start, end: start + 86_400_000 };
    }
    case 'month':
      return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
  }
}
