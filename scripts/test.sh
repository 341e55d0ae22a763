#!/usr/bin/env bash
# `npm test`: type check, lint, unit tests, then end-to-end suites against a real Kafka broker
# (started by the e2e global setup unless KAFKA_BROKERS points at one), the router as a process
# and provider-sim over HTTP. Prints one closing line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
export NODE_OPTIONS="--experimental-vm-modules --disable-warning=TimeoutNegativeWarning"
mkdir -p .infra && rm -f .infra/jest-unit.json .infra/jest-e2e.json
step() { printf '\n== %s\n' "$1"; }
status=0

step "typecheck"; tsc -p tsconfig.json --noEmit
step "lint"; eslint .; node scripts/check-cycles.mjs
step "unit tests"
# Two workers even on two cores (jest's default is cores − 1): the oracle-bound specs are minutes of
# CPU each and would otherwise run one after the other with everything else.
jest --selectProjects unit --maxWorkers=2 --json --outputFile=.infra/jest-unit.json || status=1
step "build"; npm run build --silent
step "end-to-end tests (real Kafka, router process, provider-sim)"
jest --selectProjects e2e --runInBand --forceExit --json --outputFile=.infra/jest-e2e.json "$@" || status=1

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of [".infra/jest-unit.json", ".infra/jest-e2e.json"]) {
    if (!fs.existsSync(f)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exit(failed ? 1 : 0);
' || status=1
exit $status
