// Hand-written SVG line charts (no dependency): small multiples and single panels.
export interface Series {
  name: string;
  points: Array<[number, number]>;
  color?: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  series: Series[];
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yMin?: number;
  yMax?: number;
  /** Shaded x ranges (e.g. outages). */
  bands?: Array<{ from: number; to: number; label?: string }>;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

function panelSvg(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const m = { l: 58, r: 12, t: 24, b: 40 };
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  const xs = p.series.flatMap((s) => s.points.map((q) => q[0])).filter((v) => !p.xLog || v > 0);
  const ys = p.series.flatMap((s) => s.points.map((q) => q[1])).filter(Number.isFinite);
  const tx = (v: number) => (p.xLog ? Math.log10(Math.max(v, 1e-9)) : v);
  let xlo = Math.min(...xs.map(tx));
  let xhi = Math.max(...xs.map(tx));
  if (!Number.isFinite(xlo)) [xlo, xhi] = [0, 1];
  if (xhi === xlo) xhi = xlo + 1;
  let ylo = p.yMin ?? Math.min(0, ...ys);
  let yhi = p.yMax ?? Math.max(...ys, ylo + 1e-9);
  if (!Number.isFinite(ylo)) ylo = 0;
  if (!Number.isFinite(yhi) || yhi === ylo) yhi = ylo + 1;
  const X = (v: number) => x0 + m.l + ((tx(v) - xlo) / (xhi - xlo)) * pw;
  const Y = (v: number) => y0 + m.t + ph - ((Math.min(Math.max(v, ylo), yhi) - ylo) / (yhi - ylo)) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + m.l}" y="${y0 + 16}" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
  for (const b of p.bands ?? []) {
    out.push(`<rect x="${X(b.from)}" y="${y0 + m.t}" width="${Math.max(1, X(b.to) - X(b.from))}" height="${ph}" fill="#f4cccc" opacity="0.6"/>`);
  }
  out.push(`<rect x="${x0 + m.l}" y="${y0 + m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  const yt = niceTicks(ylo, yhi);
  for (const v of yt) {
    out.push(`<line x1="${x0 + m.l}" x2="${x0 + m.l + pw}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + m.l - 4}" y="${Y(v) + 4}" font-size="10" text-anchor="end">${fmt(v)}</text>`);
  }
  const xt = p.xLog ? niceTicks(Math.floor(xlo), Math.ceil(xhi), Math.ceil(xhi) - Math.floor(xlo)).map((e) => Math.pow(10, e)) : niceTicks(xlo, xhi);
  for (const v of xt) {
    if (tx(v) < xlo - 1e-9 || tx(v) > xhi + 1e-9) continue;
    out.push(`<line x1="${X(v)}" x2="${X(v)}" y1="${y0 + m.t + ph}" y2="${y0 + m.t + ph + 4}" stroke="#666"/>`);
    out.push(`<text x="${X(v)}" y="${y0 + m.t + ph + 15}" font-size="10" text-anchor="middle">${fmt(v)}</text>`);
  }
  out.push(`<text x="${x0 + m.l + pw / 2}" y="${y0 + h - 6}" font-size="11" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(`<text x="${x0 + 12}" y="${y0 + m.t + ph / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 ${x0 + 12} ${y0 + m.t + ph / 2})">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const pts = s.points.filter((q) => Number.isFinite(q[1]) && (!p.xLog || q[0] > 0));
    if (pts.length === 0) return;
    const d = pts.map((q, j) => `${j ? 'L' : 'M'}${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`).join('');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
  });
  // Legend, top right inside the panel.
  p.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const ly = y0 + m.t + 12 + i * 13;
    const lx = x0 + m.l + pw - 130;
    out.push(`<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    out.push(`<text x="${lx + 20}" y="${ly}" font-size="10">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Panels on a grid of `cols` columns. */
export function svgFigure(title: string, panels: Panel[], cols = 1, panelW = 560, panelH = 280): string {
  const rows = Math.ceil(panels.length / cols);
  const W = cols * panelW;
  const H = rows * panelH + 30;
  const body = panels.map((p, i) => panelSvg(p, (i % cols) * panelW, 30 + Math.floor(i / cols) * panelH, panelW, panelH)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>\n${body}\n</svg>\n`;
}
