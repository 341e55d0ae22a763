// Summarises a V8 .cpuprofile (node --cpu-prof): top functions by self time, and self time per
// package / area, so a reader sees where the router spends its CPU.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  location: string;
  area: string;
  selfMs: number;
  /** Share of non-idle time. */
  selfPct: number;
}

export interface ProfileSummary {
  file?: string;
  wallS: number;
  busyS: number;
  idlePct: number;
  topFunctions: ProfileEntry[];
  /** Functions by inclusive (total) time: self plus everything they called. */
  topInclusive: ProfileEntry[];
  byArea: Array<{ area: string; selfMs: number; selfPct: number }>;
}

/** Coarse owner of a function: a package, node internals, V8 pseudo-frames, or our own code. */
export function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`.replace('node:undefined', 'node:internal');
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 6).split('/').slice(0, 2).join('/');
  return url;
}

function shortLocation(frame: CallFrame): string {
  const url = frame.url;
  const nm = url.lastIndexOf('/node_modules/');
  const d = url.indexOf('/dist/');
  const path = nm >= 0 ? url.slice(nm + 14) : d >= 0 ? url.slice(d + 1) : url.replace(/^file:\/\//, '');
  return path ? `${path}:${frame.lineNumber + 1}` : '';
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, { frame: CallFrame; us: number }>();
  const area = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`;
    const entry = fn.get(key) ?? { frame, us: 0 };
    entry.us += us;
    fn.set(key, entry);
    const a = areaOf(frame);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  // Inclusive time: every distinct function on a sample's stack gets the sample's time.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, { frame: CallFrame; us: number }>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      if (frame.functionName === '(root)') continue;
      const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = incl.get(key) ?? { frame, us: 0 };
      entry.us += us;
      incl.set(key, entry);
    }
  }
  const pct = (us: number) => Number(((100 * us) / (busyUs || 1)).toFixed(1));
  return {
    wallS: Number(((profile.endTime - profile.startTime) / 1e6).toFixed(1)),
    busyS: Number((busyUs / 1e6).toFixed(1)),
    idlePct: Number(((100 * idleUs) / (totalUs || 1)).toFixed(1)),
    topFunctions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(({ frame, us }) => ({ name: frame.functionName || '(anonymous)', location: shortLocation(frame), area: areaOf(frame), selfMs: Math.round(us / 1000), selfPct: pct(us) })),
    topInclusive: [...incl.values()]
      .filter(({ frame }) => frame.url !== '' || frame.functionName.startsWith('('))
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(({ frame, us }) => ({ name: frame.functionName || '(anonymous)', location: shortLocation(frame), area: areaOf(frame), selfMs: Math.round(us / 1000), selfPct: pct(us) })),
    byArea: [...area.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([a, us]) => ({ area: a, selfMs: Math.round(us / 1000), selfPct: pct(us) })),
  };
}

/** CLI: node dist/bench/support/cpu-profile.js FILE.cpuprofile [top] */
if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/support/cpu-profile.js FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(topArg ?? 30));
  process.stdout.write(`wall ${s.wallS}s, busy ${s.busyS}s, idle ${s.idlePct}%\n\nself time by area:\n`);
  for (const a of s.byArea) process.stdout.write(`  ${String(a.selfPct).padStart(5)}%  ${String(a.selfMs).padStart(7)} ms  ${a.area}\n`);
  process.stdout.write('\ntop functions by self time:\n');
  for (const f of s.topFunctions) process.stdout.write(`  ${String(f.selfPct).padStart(5)}%  ${String(f.selfMs).padStart(7)} ms  ${f.name}  ${f.location}\n`);
  process.stdout.write('\ntop functions by inclusive time:\n');
  for (const f of s.topInclusive) process.stdout.write(`  ${String(f.selfPct).padStart(5)}%  ${String(f.selfMs).padStart(7)} ms  ${f.name}  ${f.location}\n`);
}
