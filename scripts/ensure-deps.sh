#!/usr/bin/env bash
# Installs the npm dependencies (including Node 24 from the npm `node` package) when they are
# missing or older than package-lock.json, so `npm test` and `npm run demo` work on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [[ -x node_modules/.bin/node && -f "$stamp" && "$stamp" -nt package-lock.json ]]; then
  exit 0
fi
echo "== installing npm dependencies (first run on this checkout)"
# `npm install` rather than `npm ci`: the registry mirror here lacks the non-Linux optional
# binaries of @swc/core, which `npm ci` insists on finding in the lockfile; install follows the
# lockfile for everything it can resolve.
# npm runs on the machine's Node here (20 on many hosts), before the project's own Node 24 is in
# place, and prints a block of EBADENGINE warnings for every package that wants a newer Node. They
# are expected: every script then runs on node_modules/.bin/node. Fold them into one line.
npm install --no-audit --no-fund 2>&1 | awk -v machine_node="$(node -v 2>/dev/null || echo unknown)" '
  /EBADENGINE/ { if ($0 ~ /Unsupported engine/) engines++; next }
  { print; fflush() }
  END { if (engines) printf "== %d packages want a newer Node than this machine'"'"'s %s; expected: the scripts run on the project'"'"'s Node 24\n", engines, machine_node }
'
# npm 11 can hold back install scripts; make sure the ones we rely on really ran.
if ! node_modules/.bin/node -e 'process.exit(process.versions.node.startsWith("24.") ? 0 : 1)'; then
  echo "error: node_modules/.bin/node is not Node 24; the 'node' package install step did not run (npm install-scripts ls)" >&2
  exit 1
fi
node_modules/.bin/node -e 'require("@swc/core")' || {
  echo "error: @swc/core has no native binding; reinstall with: npm rebuild @swc/core" >&2
  exit 1
}
