#!/usr/bin/env bash
# `npm run demo`: installs what is missing, builds, then runs the demo (local Kafka, provider-sim,
# router, a stream of requests, a summary, clean shutdown). No API keys needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
echo "== building"
npm run build --silent
exec node --disable-warning=TimeoutNegativeWarning dist/apps/router/src/cli/demo.js "$@"
