import type { LoadedRoutingTable } from '../config/routing-table.loader';

/** The one label value every class or tenant the configuration does not name is counted under. */
export const OTHER_LABEL = 'other';

/**
 * Class and tenant values /metrics may use as labels: only what the configuration names, so a
 * caller inventing classes or tenants cannot add series (each new value added ≈ 17 before).
 */
export interface KnownLabels {
  classes: ReadonlySet<string>;
  tenants: ReadonlySet<string>;
}

/**
 * Classes: `default`, the routing table's `classes:` and every class an arm lists. Tenants: the
 * table's `budgets.tenants`, the front door's key tenants and its default tenant.
 */
export function knownLabels(table: Pick<LoadedRoutingTable, 'classes' | 'arms' | 'budgets'>, frontDoorTenants: Iterable<string>): KnownLabels {
  return {
    classes: new Set(['default', ...Object.keys(table.classes), ...table.arms.flatMap((a) => a.classes)]),
    tenants: new Set([...Object.keys(table.budgets?.tenants ?? {}), ...frontDoorTenants]),
  };
}

/** `value` when known, else OTHER_LABEL. */
export function labelOf(value: string, known: ReadonlySet<string>): string {
  return known.has(value) ? value : OTHER_LABEL;
}
