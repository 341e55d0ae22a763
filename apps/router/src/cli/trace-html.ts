/**
 * Renders one Jaeger trace (the JSON of `GET /api/traces/<id>`) as a static, self-contained HTML
 * page: a waterfall of the span tree with durations, the attributes that explain a routing decision,
 * and the span events. Made for docs and for Jaeger builds that serve no UI.
 */

export interface JaegerKeyValue {
  key: string;
  type?: string;
  value: unknown;
}

export interface JaegerSpanJson {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: Array<{ refType: string; traceID: string; spanID: string }>;
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags?: JaegerKeyValue[];
  logs?: Array<{ timestamp: number; fields: JaegerKeyValue[] }>;
  processID?: string;
}

export interface JaegerTraceJson {
  traceID: string;
  spans: JaegerSpanJson[];
  processes?: Record<string, { serviceName: string; tags?: JaegerKeyValue[] }>;
}

/** Accepts the API envelope (`{ data: [trace] }`) or a bare trace. */
export function pickTrace(json: unknown, traceId?: string): JaegerTraceJson {
  const obj = json as { data?: JaegerTraceJson[] } & Partial<JaegerTraceJson>;
  const traces = Array.isArray(obj.data) ? obj.data : Array.isArray(obj.spans) ? [obj as JaegerTraceJson] : [];
  const trace = traceId ? traces.find((t) => t.traceID === traceId) : traces[0];
  if (!trace) throw new Error(traceId ? `trace ${traceId} is not in the JSON` : 'no trace in the JSON (expected { data: [trace] } or a trace with spans)');
  return trace;
}

export interface SpanNode {
  span: JaegerSpanJson;
  depth: number;
  children: SpanNode[];
}

/** Spans as a tree in start order; a span whose parent is not in the trace (e.g. the producer's) is a root. */
export function spanTree(trace: JaegerTraceJson): SpanNode[] {
  const nodes = new Map(trace.spans.map((s) => [s.spanID, { span: s, depth: 0, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.references?.find((r) => r.refType === 'CHILD_OF')?.spanID;
    const parentNode = parent ? nodes.get(parent) : undefined;
    if (parentNode) parentNode.children.push(node);
    else roots.push(node);
  }
  const byStart = (a: SpanNode, b: SpanNode) => a.span.startTime - b.span.startTime;
  const flat: SpanNode[] = [];
  const walk = (node: SpanNode, depth: number) => {
    node.depth = depth;
    flat.push(node);
    node.children.sort(byStart).forEach((c) => walk(c, depth + 1));
  };
  roots.sort(byStart).forEach((r) => walk(r, 0));
  return flat;
}

export function tagValue(span: JaegerSpanJson, key: string): unknown {
  return span.tags?.find((t) => t.key === key)?.value;
}

type Section = { title: string; rows: Array<[string, string]> };

const REQUEST_KEYS: Array<[string, string]> = [
  ['switchyard.request.id', 'request id'],
  ['switchyard.tenant', 'tenant'],
  ['switchyard.request.class', 'class'],
  ['switchyard.objective', 'objective'],
  ['switchyard.status', 'status'],
  ['switchyard.error.kind', 'error kind'],
  ['switchyard.served.arm', 'served by arm'],
  ['switchyard.served.model', 'model'],
  ['switchyard.attempts', 'attempts'],
  ['switchyard.cost_usd', 'cost USD'],
  ['switchyard.usage.input_tokens', 'input tokens'],
  ['switchyard.usage.output_tokens', 'output tokens'],
  ['switchyard.degraded', 'degraded'],
  ['switchyard.degraded.from', 'degraded from'],
  ['switchyard.escalated.reason', 'escalated'],
  ['messaging.destination.name', 'topic'],
  ['messaging.destination.partition.id', 'partition'],
  ['messaging.kafka.offset', 'offset'],
];

const CHAT_KEYS: Array<[string, string]> = [
  ['switchyard.arm', 'arm'],
  ['gen_ai.provider.name', 'provider'],
  ['gen_ai.request.model', 'request model'],
  ['gen_ai.response.model', 'response model'],
  ['switchyard.attempt', 'attempt'],
  ['switchyard.attempt.role', 'role'],
  ['switchyard.outcome', 'outcome'],
  ['error.type', 'error.type'],
  ['http.response.status_code', 'HTTP status'],
  ['otel.status_description', 'status'],
  ['switchyard.retry_after_ms', 'Retry-After ms'],
  ['gen_ai.usage.input_tokens', 'input tokens'],
  ['gen_ai.usage.output_tokens', 'output tokens'],
  ['gen_ai.response.finish_reasons', 'finish'],
  ['switchyard.cost_usd', 'cost USD'],
];

/** The attributes worth reading first, grouped by the question they answer. */
export function keySections(span: JaegerSpanJson): Section[] {
  const name = span.operationName;
  const pick = (keys: Array<[string, string]>) =>
    keys.flatMap(([key, label]): Array<[string, string]> => {
      const v = tagValue(span, key);
      return v === undefined || v === '' ? [] : [[label, show(v)]];
    });
  if (name === 'switchyard.request') return [{ title: 'Request', rows: pick(REQUEST_KEYS) }];
  if (name.startsWith('chat ')) return [{ title: 'Attempt', rows: pick(CHAT_KEYS) }];
  if (name !== 'switchyard.decide') return [];
  const why: Array<[string, string]> = [
    ['chosen', show(tagValue(span, 'switchyard.decision.chosen_arm'))],
    ['reason', show(tagValue(span, 'switchyard.decision.reason'))],
    ['exploration', show(tagValue(span, 'switchyard.decision.exploration'))],
  ];
  const from = tagValue(span, 'switchyard.fallback.from');
  if (from !== undefined) why.push(['fallback from', `${show(from)} (${show(tagValue(span, 'switchyard.fallback.reason'))})`]);
  for (const t of span.tags ?? []) {
    if (t.key.startsWith('switchyard.decision.') && !['switchyard.decision.chosen_arm', 'switchyard.decision.reason', 'switchyard.decision.exploration'].includes(t.key)) {
      why.push([t.key.slice('switchyard.decision.'.length), show(t.value)]);
    }
  }
  const candidates = parseList<{ arm: string; utility?: number; sampledSuccess?: number; sampledLatencyMs?: number; expectedCostUsd?: number }>(tagValue(span, 'switchyard.candidates'));
  const excluded = parseList<{ arm: string; reason: string }>(tagValue(span, 'switchyard.excluded'));
  return [
    { title: `Why this arm (step ${show(tagValue(span, 'switchyard.step'))})`, rows: why },
    {
      title: 'Candidates (eligible, with sampled scores)',
      rows: candidates.map((c): [string, string] => {
        const scores = [
          c.utility !== undefined ? `utility ${fmt(c.utility)}` : '',
          c.sampledSuccess !== undefined ? `P(success) ${fmt(c.sampledSuccess)}` : '',
          c.sampledLatencyMs !== undefined ? `latency ${Math.round(c.sampledLatencyMs)} ms` : '',
          c.expectedCostUsd !== undefined ? `cost $${fmt(c.expectedCostUsd, 6)}` : '',
        ].filter(Boolean);
        return [c.arm, scores.join(' · ') || 'no scores (ordered selector)'];
      }),
    },
    { title: 'Excluded, and why', rows: excluded.map((e): [string, string] => [e.arm, e.reason]) },
  ];
}

/** Long attribute lists in side-by-side columns of at most 6 rows, so a span's details stay short. */
function columns(rows: Array<[string, string]>): string {
  const perColumn = Math.max(4, Math.ceil(rows.length / Math.ceil(rows.length / 6)));
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += perColumn) {
    out.push(`<table>${rows.slice(i, i + perColumn).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`);
  }
  return out.join('');
}

function parseList<T>(value: unknown): T[] {
  if (typeof value !== 'string') return [];
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? (parsed as T[]) : [];
  } catch {
    return [];
  }
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '—';
  if (typeof v === 'number') return fmt(v, 6);
  if (typeof v === 'string') {
    // Array attributes arrive from Jaeger as JSON text.
    if (v.startsWith('[') && v.endsWith(']')) {
      const list = parseList<unknown>(v);
      if (list.every((x) => typeof x !== 'object')) return list.map(String).join(', ');
    }
    return v;
  }
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function fmt(n: number, digits = 3): string {
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(digits)));
}

export function formatDuration(us: number): string {
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  if (us >= 1_000) return `${(us / 1_000).toFixed(us >= 100_000 ? 0 : 1)} ms`;
  return us === 0 ? '0' : `${us} µs`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function kindOf(span: JaegerSpanJson): 'request' | 'decide' | 'chat' | 'other' {
  if (span.operationName === 'switchyard.request') return 'request';
  if (span.operationName === 'switchyard.decide') return 'decide';
  return span.operationName.startsWith('chat ') ? 'chat' : 'other';
}

function isError(span: JaegerSpanJson): boolean {
  return tagValue(span, 'otel.status_code') === 'ERROR' || tagValue(span, 'error') === true || tagValue(span, 'error.type') !== undefined;
}

export interface RenderOptions {
  /** Also list every other attribute of each span (collapsed). Default true. */
  allAttributes?: boolean;
  title?: string;
}

export function renderTraceHtml(trace: JaegerTraceJson, options: RenderOptions = {}): string {
  const nodes = spanTree(trace);
  if (nodes.length === 0) throw new Error(`trace ${trace.traceID} has no spans`);
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const end = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
  const total = Math.max(1, end - start);
  const pct = (us: number) => ((us - start) / total) * 100;
  const root = nodes.find((n) => n.span.operationName === 'switchyard.request')?.span ?? nodes[0].span;
  const service = trace.processes?.[root.processID ?? '']?.serviceName ?? 'unknown service';
  const status = tagValue(root, 'switchyard.status');
  const served = tagValue(root, 'switchyard.served.arm');
  const summary = [
    `<b>${esc(service)}</b>`,
    `${formatDuration(total)}`,
    `${trace.spans.length} spans`,
    tagValue(root, 'switchyard.request.id') !== undefined ? `request <code>${esc(show(tagValue(root, 'switchyard.request.id')))}</code>` : '',
    status !== undefined ? `status <span class="pill ${status === 'ok' ? 'ok' : 'bad'}">${esc(show(status))}</span>` : '',
    served !== undefined ? `served by <b>${esc(show(served))}</b>` : '',
    tagValue(root, 'switchyard.cost_usd') !== undefined ? `cost $${esc(show(tagValue(root, 'switchyard.cost_usd')))}` : '',
  ].filter(Boolean);

  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<span class="tick" style="left:${f * 100}%">${formatDuration(Math.round(total * f))}</span>`).join('');

  const rows = nodes
    .map(({ span, depth }) => {
      const kind = kindOf(span);
      const err = isError(span);
      const left = pct(span.startTime);
      const width = Math.max(0.4, (span.duration / total) * 100);
      const marks = (span.logs ?? [])
        .map((log) => {
          const name = show(log.fields.find((f) => f.key === 'event')?.value ?? 'event');
          return `<span class="mark" style="left:${pct(log.timestamp)}%" title="${esc(name)}">◆ <em>${esc(name.replace(/^switchyard\./, ''))}</em></span>`;
        })
        .join('');
      const sections = keySections(span)
        .filter((s) => s.rows.length > 0)
        .map(
          (s) => `<div class="section"><div class="stitle">${esc(s.title)}</div><div class="cols">${columns(s.rows)}</div></div>`,
        )
        .join('');
      const events = (span.logs ?? [])
        .map((log) => {
          const name = show(log.fields.find((f) => f.key === 'event')?.value ?? 'event');
          const fields = log.fields.filter((f) => f.key !== 'event').map((f) => `<tr><th>${esc(f.key.replace(/^switchyard\./, ''))}</th><td>${esc(show(f.value))}</td></tr>`);
          return `<div class="section event"><div class="stitle">◆ ${esc(name)} <span class="at">at +${formatDuration(log.timestamp - start)}</span></div><table>${fields.join('')}</table></div>`;
        })
        .join('');
      const shown = new Set(
        [...REQUEST_KEYS, ...CHAT_KEYS].map(([k]) => k).concat(['switchyard.candidates', 'switchyard.excluded', 'switchyard.step', 'switchyard.fallback.from', 'switchyard.fallback.reason']),
      );
      const rest = (span.tags ?? []).filter((t) => !shown.has(t.key) && !t.key.startsWith('switchyard.decision.'));
      const all =
        options.allAttributes === false || rest.length === 0
          ? ''
          : `<details><summary>${rest.length} more attributes</summary><table>${rest.map((t) => `<tr><th>${esc(t.key)}</th><td>${esc(show(t.value))}</td></tr>`).join('')}</table></details>`;
      return `<div class="row ${kind}${err ? ' error' : ''}">
  <div class="name" style="padding-left:${8 + depth * 18}px"><span class="dot"></span>${esc(span.operationName)}${err ? ' <span class="pill bad">error</span>' : ''}</div>
  <div class="lane"><div class="bar" style="left:${left}%;width:${width}%"></div>${left + width > 90 ? `<span class="dur inside" style="right:calc(${100 - left - width}% + 6px)">` : `<span class="dur" style="left:calc(${left + width}% + 6px)">`}${formatDuration(span.duration)}</span>${marks}</div>
</div>
<div class="detail" style="margin-left:${26 + depth * 18}px">${sections}${events}${all}</div>`;
    })
    .join('\n');

  const title = options.title ?? `Trace ${trace.traceID}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
  body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 10px 16px; }
  header h1 { font-size: 15px; margin: 0 0 4px; font-weight: 600; }
  header h1 code { font-size: 12px; color: #9ecbff; }
  header .summary span.sep { color: #8b949e; margin: 0 8px; }
  header code { color: #ffd33d; }
  .pill { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 600; }
  .pill.ok { background: #2da44e; color: #fff; } .pill.bad { background: #cf222e; color: #fff; }
  main { padding: 8px 16px 16px; }
  .axis, .row { display: grid; grid-template-columns: 300px 1fr; align-items: center; }
  .axis .lane { position: relative; height: 16px; border-bottom: 1px solid #d0d7de; }
  .tick { position: absolute; transform: translateX(-50%); font-size: 10px; color: #57606a; white-space: nowrap; }
  .tick:first-child { transform: none; } .tick:last-child { transform: translateX(-100%); }
  .row { background: #fff; border: 1px solid #d0d7de; border-radius: 4px; margin-top: 5px; min-height: 24px; }
  .name { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; background: #8c959f; }
  .request .dot, .request .bar { background: #6e7781; } .decide .dot, .decide .bar { background: #8250df; }
  .chat .dot, .chat .bar { background: #1a7f37; } .error .dot, .error .bar { background: #cf222e; }
  .lane { position: relative; height: 26px; margin-right: 12px; }
  .bar { position: absolute; top: 7px; height: 12px; border-radius: 2px; opacity: .85; }
  .dur { position: absolute; top: 5px; font-size: 11px; color: #57606a; white-space: nowrap; }
  .dur.inside { color: #fff; font-weight: 600; top: 6px; font-size: 10px; }
  .cols { display: flex; gap: 16px; }
  .mark { position: absolute; top: -2px; font-size: 10px; color: #bc4c00; white-space: nowrap; transform: translateX(-4px); }
  .detail { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 6px 10px; padding: 3px 0 1px; }
  .section { background: #fff; border: 1px solid #d8dee4; border-left: 3px solid #8c959f; border-radius: 3px; padding: 3px 8px; }
  .decide + .detail .section { border-left-color: #8250df; } .chat + .detail .section { border-left-color: #1a7f37; }
  .error + .detail .section { border-left-color: #cf222e; } .section.event { border-left-color: #bc4c00 !important; background: #fff8f0; }
  .stitle { font-size: 11px; font-weight: 700; color: #57606a; text-transform: uppercase; letter-spacing: .02em; }
  .at { font-weight: 400; text-transform: none; }
  table { border-collapse: collapse; } th { text-align: left; font-weight: 500; color: #57606a; padding: 0 10px 0 0; white-space: nowrap; vertical-align: top; }
  td { padding: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; max-width: 420px; overflow-wrap: anywhere; }
  details { font-size: 12px; color: #57606a; align-self: center; } details table { margin-top: 2px; }
  footer { color: #8b949e; font-size: 11px; padding: 0 16px 12px; }
</style></head>
<body>
<header><h1>${esc(title)}${options.title ? ` <code>${esc(trace.traceID)}</code>` : ''}</h1><div class="summary">${summary.join('<span class="sep">·</span>')}</div></header>
<main>
<div class="axis"><div></div><div class="lane">${ticks}</div></div>
${rows}
</main>
<footer>Rendered from Jaeger's /api/traces JSON by apps/router/src/cli/render-trace.ts · span times relative to the first span</footer>
</body></html>
`;
}
