// Where every request of a live run went, and whether the run passes. A request handed over is
// answered (a response record or HTTP answer, failures included: the client got its one answer),
// dead-lettered (a DLQ record naming it: the router refused it, and said why), or lost (neither,
// after the end-of-run grace period). Lost requests break the router's one promise (exactly one
// answer per request), so they fail the run; a DLQ record is an answer of its own and is reported.
// Pure, so the classification and the exit decision are unit-tested without Kafka.

/** How many lost ids a report line and summary.json name (the count is always given in full). */
export const LOST_IDS_SHOWN = 20;

/** One request as the client saw it at the end of the run. */
export interface RequestFate {
  id: string;
  /** Handed over (to Kafka or the HTTP peer). */
  sent: boolean;
  /** A response arrived (ok, degraded or failed). */
  answered: boolean;
  /** The reason of a DLQ record naming the request, if one arrived. */
  dlqReason?: string;
}

export interface RunAccounting {
  sent: number;
  answered: number;
  /** Sent, not answered, with a DLQ record; null for targets without a DLQ (HTTP peers). */
  dlq: number | null;
  /** DLQ records per reason (schema, limits, ...); null when dlq is. */
  dlqReasons: Record<string, number> | null;
  /** Sent with neither a response nor a DLQ record. */
  lost: number;
  /** The first LOST_IDS_SHOWN lost request ids, in request order. */
  lostIds: string[];
}

/**
 * Classifies each sent request once: a response wins over a DLQ record (the client was answered
 * either way), and a request never handed over counts nowhere.
 */
export function accountRun(fates: Iterable<RequestFate>, hasDlq: boolean): RunAccounting {
  const a: RunAccounting = { sent: 0, answered: 0, dlq: hasDlq ? 0 : null, dlqReasons: hasDlq ? {} : null, lost: 0, lostIds: [] };
  for (const f of fates) {
    if (!f.sent) continue;
    a.sent++;
    if (f.answered) a.answered++;
    else if (hasDlq && f.dlqReason !== undefined) {
      a.dlq!++;
      a.dlqReasons![f.dlqReason] = (a.dlqReasons![f.dlqReason] ?? 0) + 1;
    } else {
      a.lost++;
      if (a.lostIds.length < LOST_IDS_SHOWN) a.lostIds.push(f.id);
    }
  }
  return a;
}

/** One (scenario, policy or peer) run as the verdict sees it. */
export interface AccountedRun {
  /** e.g. `primary-outage-5min/switchyard`. */
  name: string;
  accounting: RunAccounting;
  /** Log files by process (`router` or the peer's name first, then `sim`), as the user should open them. */
  logs: Record<string, string>;
}

export interface RunVerdict {
  /** 0 when nothing was lost, 1 otherwise. */
  exitCode: 0 | 1;
  /** A LOST line per run with lost requests, a DLQ line per run with dead-lettered ones. */
  lines: string[];
}

const logList = (logs: Record<string, string>) =>
  Object.entries(logs)
    .map(([what, path]) => `${what} ${path}`)
    .join(', ');

/** The exit decision: any lost request fails the run, naming the ids and the logs to read. */
export function runVerdict(runs: readonly AccountedRun[], graceMs: number): RunVerdict {
  const lines: string[] = [];
  for (const { name, accounting: a, logs } of runs) {
    if (a.lost > 0) {
      const more = a.lost > a.lostIds.length ? ` and ${a.lost - a.lostIds.length} more` : '';
      lines.push(
        `LOST ${name}: ${a.lost} of ${a.sent} sent requests had no response${a.dlq === null ? '' : ' and no DLQ record'} ${(graceMs / 1000).toFixed(0)} s after the last send: ` +
          `${a.lostIds.join(', ')}${more}. Read the logs: ${logList(logs)}`,
      );
    }
    if (a.dlq) {
      const reasons = Object.entries(a.dlqReasons ?? {}).map(([r, n]) => `${r} ${n}`).join(', ');
      lines.push(`DLQ ${name}: ${a.dlq} of ${a.sent} sent requests went to the DLQ (${reasons}). Read the logs: ${logList(logs)}`);
    }
  }
  return { exitCode: runs.some((r) => r.accounting.lost > 0) ? 1 : 0, lines };
}
