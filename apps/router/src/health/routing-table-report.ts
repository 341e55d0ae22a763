import { describeEndpoint, type ProviderEndpointConfig } from '@switchyard/providers';
import type { ReloadReport, RoutingTableReloader } from '../config/routing-table-reloader';

/** `routingTable` in GET /health/routing (docs/metrics.md): which table serves, and the last reload. */
export interface RoutingTableReport {
  path: string;
  /** 1 for the table loaded at startup, +1 per applied reload. */
  version: number;
  /** sha256 of the file's text, first 16 hex digits: compare with `sha256sum` of the file. */
  hash: string;
  loadedAt: string;
  /** The last reload asked for (file change, SIGHUP or admin), also when it was refused; null before any. */
  lastReload: (Omit<ReloadReport, 'at'> & { at: string }) | null;
  /** Reloads since startup by `trigger/result`. */
  reloads: Record<string, number>;
  /** The provider endpoints serving: kind, base URL, auth scheme, headers with credentials redacted (never a key). */
  providers: ReturnType<typeof describeEndpoint>[];
}

export function routingTableReport(reloader: RoutingTableReloader, endpoints: readonly ProviderEndpointConfig[] = []): RoutingTableReport {
  const { version, hash, loadedAt, path } = reloader.version;
  const last = reloader.lastReload;
  return {
    path,
    version,
    hash,
    loadedAt: new Date(loadedAt).toISOString(),
    lastReload: last ? { ...last, at: new Date(last.at).toISOString() } : null,
    reloads: Object.fromEntries(reloader.counts),
    providers: endpoints.map(describeEndpoint),
  };
}
