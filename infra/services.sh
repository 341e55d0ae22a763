# The local services infra/up.sh starts and infra/down.sh stops (in reverse), each infra/<name>.sh
# with fetch | start | stop | status. Sourced by both, so the two lists cannot drift apart.
# shellcheck disable=SC2034
SERVICES=(
  kafka
  jaeger
  redis
)
