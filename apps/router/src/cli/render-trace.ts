import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, strArg } from './args';
import { pickTrace, renderTraceHtml } from './trace-html';

const USAGE = `Render one Jaeger trace as a static HTML page (waterfall, decision attributes, events).

  node dist/apps/router/src/cli/render-trace.js --file trace.json [--out trace.html]
  node dist/apps/router/src/cli/render-trace.js --jaeger http://127.0.0.1:16686 --trace <trace id> [--out trace.html]

  --file PATH       JSON of GET /api/traces/<id> (or a bare trace object)
  --jaeger URL      Jaeger query base URL; with --trace, fetches /api/traces/<id>
  --trace ID        trace id (32 hex digits); picks it from --file when the file holds several
  --title TEXT      page title [Trace <id>]
  --save-json PATH  also write the fetched trace JSON there
  --out PATH        output HTML [trace-<id>.html]; "-" for stdout
  --no-attributes   do not list the remaining attributes of each span`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help || (!args.file && !args.jaeger)) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(args.help ? 0 : 2);
  }
  const traceId = args.trace === undefined ? undefined : strArg(args, 'trace', '').toLowerCase();
  let json: unknown;
  if (args.file) {
    json = JSON.parse(readFileSync(strArg(args, 'file', ''), 'utf8'));
  } else {
    if (!traceId) throw new Error('--jaeger needs --trace <trace id>');
    const url = `${strArg(args, 'jaeger', '').replace(/\/$/, '')}/api/traces/${traceId}`;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
    json = await res.json();
    if (args['save-json']) writeFileSync(strArg(args, 'save-json', ''), JSON.stringify(json, null, 2));
  }
  const trace = pickTrace(json, traceId);
  const html = renderTraceHtml(trace, { allAttributes: !args['no-attributes'], title: args.title ? strArg(args, 'title', '') : undefined });
  const out = strArg(args, 'out', `trace-${trace.traceID}.html`);
  if (out === '-') process.stdout.write(html);
  else {
    writeFileSync(out, html);
    process.stderr.write(`wrote ${out} (${trace.spans.length} spans)\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`render-trace: ${(err as Error).message}\n`);
  process.exit(1);
});
