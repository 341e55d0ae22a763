import { Counter, Gauge, type Registry } from 'prom-client';
import type { RoutingTableReloader } from '../config/routing-table-reloader';

/**
 * Routing-table reloads: how many by trigger and result (a refused one means an invalid file is
 * sitting on disk: alert on it), and the version and load time of the table serving now.
 */
export function registerRoutingTableMetrics(reloader: RoutingTableReloader, prefix: string, registers: Registry[]): void {
  new Counter({
    name: `${prefix}routing_table_reloads_total`,
    help: 'Routing-table reloads by trigger (file|signal|admin) and result (applied|unchanged|refused); refused: the file is invalid and the previous table keeps serving.',
    labelNames: ['trigger', 'result'],
    registers,
    collect() {
      // The reloader keeps the counts; each scrape copies them.
      this.reset();
      for (const [key, n] of reloader.counts) {
        const [trigger, result] = key.split('/');
        this.inc({ trigger, result }, n);
      }
    },
  });
  new Gauge({
    name: `${prefix}routing_table_version`,
    help: 'Version of the routing table serving: 1 at startup, +1 per applied reload.',
    registers,
    collect() {
      this.set(reloader.version.version);
    },
  });
  new Gauge({
    name: `${prefix}routing_table_loaded_timestamp_seconds`,
    help: 'When the routing table serving was loaded (Unix time).',
    registers,
    collect() {
      this.set(reloader.version.loadedAt / 1000);
    },
  });
}
