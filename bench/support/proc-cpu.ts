// CPU time of processes from /proc (Linux), to show how the shared cores were split between the
// router, the broker, the simulator and the load generator during a phase.
import { readFileSync } from 'node:fs';

/** utime + stime of a process in seconds (children not included); undefined if unreadable. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (all cores) from /proc/stat; undefined if unreadable. */
export function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return undefined;
  }
}

export type CpuShare = Record<string, number | null>;

/**
 * Starts measuring; the returned function gives each process's cores used (CPU s / wall s) since,
 * plus `machine` (all processes on the box) and `others` (machine minus the named processes).
 */
export function measureCpu(pids: Record<string, number | undefined>): () => CpuShare {
  const startedAt = performance.now();
  const machineBefore = machineBusySeconds();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  return () => {
    const wall = (performance.now() - startedAt) / 1000;
    const out: CpuShare = {};
    for (const [name, pid] of Object.entries(pids)) {
      const a = before[name];
      const b = cpuSeconds(pid);
      out[name] = a === undefined || b === undefined ? null : Number(((b - a) / wall).toFixed(2));
    }
    const machineAfter = machineBusySeconds();
    if (machineBefore !== undefined && machineAfter !== undefined) {
      const machine = (machineAfter - machineBefore) / wall;
      const ours = Object.values(out).reduce<number>((sum, v) => sum + (v ?? 0), 0);
      out.others = Number(Math.max(0, machine - ours).toFixed(2));
      out.machine = Number(machine.toFixed(2));
    }
    return out;
  };
}
