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
