import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { noArmChanges, type ArmChanges } from '@switchyard/core';
import { ConfigError } from './env';
import { parseRoutingTable, readRoutingTableText, type LoadedRoutingTable } from './routing-table.loader';

/** What asked for a reload: the file watch, SIGHUP, or the admin endpoint. */
export type ReloadTrigger = 'file' | 'signal' | 'admin';
export type ReloadResult = 'applied' | 'unchanged' | 'refused';

/** The routing table serving now. */
export interface TableVersion {
  /** 1 for the table loaded at startup, +1 per applied reload. */
  version: number;
  /** sha256 of the file's text (first 16 hex digits). */
  hash: string;
  loadedAt: number;
  path: string;
}

/** What one reload did, as /health/routing, the admin endpoint and the log report it. */
export interface ReloadReport {
  trigger: ReloadTrigger;
  result: ReloadResult;
  at: number;
  /** The table serving after this reload (the old one when refused). */
  version: number;
  hash: string;
  /** The loader's validation message, when refused. */
  error?: string;
  changes?: ArmChanges;
  /** Provider endpoints whose client was rebuilt (new, changed or removed). */
  providersChanged?: string[];
  /** Sections that differ in the file but only take effect on a restart. */
  restartRequired?: string[];
}

/** What applying a validated table did; throws (changing nothing) when it cannot be applied. */
export interface TableApplied {
  changes: ArmChanges;
  providersChanged: string[];
  restartRequired: string[];
  /** Resolves when every removed arm has drained and its state is dropped. */
  drained: Promise<void>;
}

export interface ReloadTarget {
  applyRoutingTable(next: LoadedRoutingTable): TableApplied;
}

export interface ReloaderLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function tableHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Reloads the routing table while the router runs: reads and validates the file exactly as at
 * startup, and either applies it (arms added, removed, repriced; classes, priors, providers) or
 * refuses it with the loader's message, leaving the table that serves untouched. Reloads are
 * synchronous, so two of them never interleave.
 */
export class RoutingTableReloader {
  private current: TableVersion;
  private last: ReloadReport | undefined;
  /** Reloads so far by `${trigger}/${result}` (the metrics read it). */
  readonly counts = new Map<string, number>();

  constructor(
    private readonly path: string,
    initialText: string,
    private readonly target: ReloadTarget,
    private readonly options: { now: () => number; log: ReloaderLog; env?: NodeJS.ProcessEnv },
  ) {
    this.current = { version: 1, hash: tableHash(initialText), loadedAt: options.now(), path };
  }

  get version(): TableVersion {
    return this.current;
  }

  get lastReload(): ReloadReport | undefined {
    return this.last;
  }

  /**
   * Reads the file and applies it. A file-change event whose text is the one already serving is
   * a no-op; SIGHUP and the admin endpoint apply it anyway (key files and environment-interpolated
   * values are read again, so a rotated API key takes effect).
   */
  reload(trigger: ReloadTrigger): ReloadReport {
    const { log } = this.options;
    let hash = this.current.hash;
    let report: ReloadReport;
    try {
      const text = readRoutingTableText(this.path);
      hash = tableHash(text);
      if (trigger === 'file' && hash === this.current.hash) return this.finish({ trigger, result: 'unchanged', at: this.options.now(), version: this.current.version, hash });
      const applied = this.target.applyRoutingTable(parseRoutingTable(text, this.path, this.options.env ?? process.env));
      const changed = hash !== this.current.hash || !noArmChanges(applied.changes) || applied.providersChanged.length > 0;
      if (changed) this.current = { version: this.current.version + 1, hash, loadedAt: this.options.now(), path: this.path };
      report = {
        trigger,
        result: changed ? 'applied' : 'unchanged',
        at: this.options.now(),
        version: this.current.version,
        hash: this.current.hash,
        changes: applied.changes,
        providersChanged: applied.providersChanged,
        restartRequired: applied.restartRequired,
      };
      if (changed) log.log(`routing table ${this.path} reloaded (${trigger}): version ${report.version}, ${hash}; ${describeChanges(applied)}`);
      if (applied.restartRequired.length) log.warn(`routing table ${this.path}: ${applied.restartRequired.join(', ')} changed; those sections take effect on the next restart (the running values stay)`);
      for (const id of applied.changes.removed) log.log(`arm ${id} removed: draining its calls in flight`);
      void applied.drained.then(() => {
        if (applied.changes.removed.length) log.log(`arms ${applied.changes.removed.join(', ')} drained; their learnt state is dropped`);
      });
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : `Routing table ${this.path} cannot be applied: ${(err as Error).message}`;
      log.error(`routing table reload (${trigger}) refused, version ${this.current.version} (${this.current.hash}) keeps serving: ${message}`);
      report = { trigger, result: 'refused', at: this.options.now(), version: this.current.version, hash: this.current.hash, error: message };
    }
    return this.finish(report);
  }

  /**
   * Reloads when the file changes, `debounceMs` after the last change event (an editor or a
   * deployment writes in several steps). Watches the directory, not the file: editors and
   * Kubernetes ConfigMaps replace the file (rename, symlink swap), which a watch on the old file
   * would never see. Returns a function that stops the watch.
   */
  watch(debounceMs: number): () => void {
    const name = basename(this.path);
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher;
    try {
      watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        // ConfigMap volumes swap a `..data` symlink; anything else in the directory is not ours.
        if (file !== null && file !== name && !file.startsWith('..')) return;
        clearTimeout(timer);
        timer = setTimeout(() => this.reload('file'), debounceMs);
        timer.unref();
      });
    } catch (err) {
      this.options.log.warn(`cannot watch ${dirname(this.path)} for routing table changes (${(err as Error).message}); use SIGHUP or the admin endpoint to reload`);
      return () => undefined;
    }
    watcher.on('error', (err) => this.options.log.warn(`routing table watch stopped: ${err.message}; use SIGHUP or the admin endpoint to reload`));
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }

  private finish(report: ReloadReport): ReloadReport {
    const key = `${report.trigger}/${report.result}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    // A no-op file event (the same text written again) is not news.
    if (!(report.trigger === 'file' && report.result === 'unchanged')) this.last = report;
    return report;
  }
}

function describeChanges(applied: TableApplied): string {
  const { changes } = applied;
  const parts = (['added', 'removed', 'replaced', 'repriced', 'reconfigured'] as const).filter((k) => changes[k].length).map((k) => `${k} ${changes[k].join(', ')}`);
  if (applied.providersChanged.length) parts.push(`providers rebuilt ${applied.providersChanged.join(', ')}`);
  return parts.length ? parts.join('; ') : 'no arm changed';
}
