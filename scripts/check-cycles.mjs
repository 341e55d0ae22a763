#!/usr/bin/env node
// Import cycles and room rules, from the TypeScript compiler's own module resolution (tsconfig.json
// paths included, so `@switchyard/*` resolves like the build does). Type-only imports count: a
// cycle of types still ties two files together for a reader and for a refactor.
//
//   node scripts/check-cycles.mjs            # exit 1 and list them when there is a cycle or a broken rule
//   node scripts/check-cycles.mjs --graph    # also print the room-to-room import counts
//   node scripts/check-cycles.mjs --root DIR # another checkout (its tsconfig.json); the spec uses it
//
// `npm run lint` runs it (madge would do the cycle part, but the project adds no dependencies).
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const rootArg = process.argv.indexOf('--root');
const root = rootArg >= 0 ? resolve(process.argv[rootArg + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The rooms and what each may import from the others (see docs/architecture.md). `libs/core` is also
 * kept framework-free by eslint.config.mjs (third-party packages); these rules are about the repo.
 */
const ROOMS = ['apps/router', 'apps/provider-sim', 'libs/core', 'libs/contracts', 'libs/providers', 'libs/telemetry', 'bench', 'test', 'scripts'];
const MAY_IMPORT = {
  'libs/core': [],
  // The response contract names the error taxonomy's kinds (a type-only import).
  'libs/contracts': ['libs/core'],
  'libs/providers': ['libs/core'],
  'libs/telemetry': ['libs/core'],
  'apps/provider-sim': [],
  'apps/router': ['libs/core', 'libs/contracts', 'libs/providers', 'libs/telemetry'],
  bench: ['libs/core', 'libs/contracts', 'libs/providers', 'libs/telemetry', 'apps/router', 'apps/provider-sim'],
  test: ['libs/core', 'libs/contracts', 'libs/providers', 'libs/telemetry', 'apps/router', 'apps/provider-sim', 'bench'],
  scripts: [],
};

/** Unit tests beside the code may also use the simulator's pieces as fixtures. */
const SPEC_MAY_ALSO_IMPORT = ['apps/provider-sim'];

function roomOf(file) {
  return ROOMS.find((room) => file === room || file.startsWith(`${room}/`));
}

/** The repo's TypeScript files (tsconfig.json `include`) and its compiler options. */
function loadProject() {
  const configPath = resolve(root, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath);
  return { files: parsed.fileNames.filter((f) => !f.endsWith('.d.ts')), options: parsed.options };
}

/** Every module specifier of a file: imports, `import type`, re-exports, `import()`, `require()` and `import x = require()`. */
function specifiers(file) {
  const source = ts.createSourceFile(file, ts.sys.readFile(file) ?? '', ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** file (relative) → the repo files it imports (relative); packages in node_modules are left out. */
function importGraph() {
  const { files, options } = loadProject();
  const host = ts.createCompilerHost(options);
  const graph = new Map();
  for (const file of files) {
    const targets = new Set();
    for (const spec of specifiers(file)) {
      const resolved = ts.resolveModuleName(spec, file, options, host).resolvedModule;
      if (!resolved || resolved.isExternalLibraryImport) continue;
      const target = relative(root, resolved.resolvedFileName);
      if (target.startsWith('..') || target.includes('node_modules/')) continue;
      targets.add(target.replace(/\.d\.ts$/, '.ts'));
    }
    graph.set(relative(root, file), [...targets].sort());
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const onStack = new Set();
  const indices = new Map();
  const low = new Map();
  const found = [];
  const strongConnect = (v) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), indices.get(w)));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) strongConnect(v);
  return found;
}

/** One shortest loop through `start` inside its component: what a reader follows to see the cycle. */
function loopThrough(graph, component, start) {
  const inside = new Set(component);
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = previous.get(v); p !== undefined; p = previous.get(p)) path.unshift(p);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

function roomViolations(graph) {
  const out = [];
  for (const [file, targets] of graph) {
    const from = roomOf(file);
    if (!from) continue;
    for (const target of targets) {
      const to = roomOf(target);
      if (!to || to === from) continue;
      if (file.endsWith('.spec.ts') && SPEC_MAY_ALSO_IMPORT.includes(to)) continue;
      if (!MAY_IMPORT[from].includes(to)) out.push(`${file} → ${target} (${from} may not import ${to})`);
    }
  }
  return out;
}

function roomGraph(graph) {
  const counts = new Map();
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const from = roomOf(file) ?? '?';
      const to = roomOf(target) ?? '?';
      if (from === to) continue;
      const key = `${from} → ${to}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}

const graph = importGraph();
const found = cycles(graph);
const violations = roomViolations(graph);
if (process.argv.includes('--graph')) {
  for (const [edge, n] of roomGraph(graph)) console.log(`${edge}: ${n} import(s)`);
}
for (const component of found) {
  console.log(`import cycle among ${component.length} file(s):`);
  console.log(`  ${loopThrough(graph, component, component[0]).join('\n    → ')}`);
  if (component.length > 2) console.log(`  (all of: ${component.join(', ')})`);
}
for (const line of violations) console.log(`room rule broken: ${line}`);
const edges = [...graph.values()].reduce((n, t) => n + t.length, 0);
console.log(`check-cycles: ${graph.size} files, ${edges} imports, ${found.length} cycle(s), ${violations.length} room rule(s) broken`);
process.exit(found.length || violations.length ? 1 : 0);
