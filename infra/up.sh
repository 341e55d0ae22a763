#!/usr/bin/env bash
# Start the local infrastructure (no Docker): each service is infra/<name>.sh with the subcommands
# fetch | start | stop | status. `fetch` is idempotent (cached under .cache/), `start` is a no-op when
# the service already runs and returns only once it is usable.
#   bash infra/up.sh            # all services below
#   bash infra/up.sh kafka      # just these
# Ports etc. come from each script's environment variables (e.g. KAFKA_PORT).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source infra/services.sh

(($# > 0)) && SERVICES=("$@")
for service in "${SERVICES[@]}"; do
  bash "infra/$service.sh" fetch
  bash "infra/$service.sh" start
done
echo "infra: up (${SERVICES[*]})"
