#!/usr/bin/env bash
# Stop what infra/up.sh started, in reverse order (each infra/<name>.sh stop is a no-op when not running).
#   bash infra/down.sh          # all services below
#   bash infra/down.sh kafka    # just these
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source infra/services.sh

(($# > 0)) && SERVICES=("$@")
status=0
for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
  bash "infra/${SERVICES[i]}.sh" stop || status=1 # keep stopping the others
done
echo "infra: down (${SERVICES[*]})"
exit "$status"
