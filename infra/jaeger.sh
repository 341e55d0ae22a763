#!/usr/bin/env bash
# Jaeger v2 (all-in-one, in-memory storage) without Docker, for tests, the demo and CI.
# The binary is built from source with the Go toolchain through the Go module proxy and cached.
#
#   bash infra/jaeger.sh fetch    # build .cache/jaeger/<commit>/jaeger (once; ~7 min cold on 2 cores)
#   bash infra/jaeger.sh start    # fetch if needed, start, wait until /api/services answers
#   bash infra/jaeger.sh stop     # SIGTERM, up to 15 s, then SIGKILL
#   bash infra/jaeger.sh status   # exit 0 if running and answering, 3 if not
#
# Which source: Jaeger's v2 releases are git tags the module proxy cannot serve (module path without
# /v2, and the proxy holds no pseudo-versions of those commits), but v2.13.0 was tagged on the same
# commit as v1.76.0, which it does serve. `go install …@v1.76.0` refuses that version because its
# go.mod has a `replace` directive, so fetch builds it inside a throwaway main module that repeats
# the replace and pins every checksum (Jaeger's own go.sum plus the module's hash below): no checksum
# database lookups, nothing unpinned.
#
# Environment (defaults in brackets):
#   JAEGER_HOST [127.0.0.1]          listen address for every port below
#   JAEGER_OTLP_HTTP_PORT [4318]     OTLP http/protobuf receiver (POST /v1/traces)
#   JAEGER_OTLP_GRPC_PORT [4317]     OTLP gRPC receiver
#   JAEGER_QUERY_PORT [16686]        query HTTP API (/api/services, /api/traces/<id>) and UI placeholder
#   JAEGER_QUERY_GRPC_PORT [16685]   query gRPC API
#   JAEGER_RUN_DIR [.infra/jaeger]   jaeger.pid, jaeger.log (one instance per run dir)
#   JAEGER_CONFIG [infra/jaeger/config.yaml]
#   JAEGER_BIN                       use this jaeger binary instead of building one
#   JAEGER_READY_TIMEOUT [60]        seconds to wait for /api/services
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICE=jaeger
PROCESS_PATTERN=jaeger
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

# v2.13.0 == v1.76.0 (commit 63b27e18, 2025-12-03).
JAEGER_COMMIT=63b27e1810a710ac54dc4522da0538e540bdc545
JAEGER_RELEASE=v2.13.0
JAEGER_MODULE_VERSION=v1.76.0
JAEGER_MODULE_SUM='h1:sWCOOF1dr+NL0PLil7mFo3BqqQL8k4WiM7aguFbc14g='
JAEGER_GOMOD_SUM='h1:hqcuJlLDTv7G2x5eFd/BhwcPdLxj3N+90aKhIzdOcKo='

export JAEGER_HOST="${JAEGER_HOST:-127.0.0.1}"
export JAEGER_OTLP_HTTP_PORT="${JAEGER_OTLP_HTTP_PORT:-4318}"
export JAEGER_OTLP_GRPC_PORT="${JAEGER_OTLP_GRPC_PORT:-4317}"
export JAEGER_QUERY_PORT="${JAEGER_QUERY_PORT:-16686}"
export JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-16685}"
JAEGER_RUN_DIR="$(abspath "${JAEGER_RUN_DIR:-$ROOT/.infra/jaeger}")"
JAEGER_CONFIG="$(abspath "${JAEGER_CONFIG:-$ROOT/infra/jaeger/config.yaml}")"
JAEGER_READY_TIMEOUT="${JAEGER_READY_TIMEOUT:-60}"

CACHE_DIR="$ROOT/.cache/jaeger/$JAEGER_COMMIT"
BIN="${JAEGER_BIN:-$CACHE_DIR/jaeger}"
PID_FILE="$JAEGER_RUN_DIR/jaeger.pid"
LOG_FILE="$JAEGER_RUN_DIR/jaeger.log"
QUERY_URL="http://$JAEGER_HOST:$JAEGER_QUERY_PORT"

answers() { curl -fsS --max-time 2 "$QUERY_URL/api/services" >/dev/null 2>&1; }

fetch() {
  if [[ -x "$BIN" ]]; then
    log "jaeger: $JAEGER_RELEASE binary cached at ${BIN#"$ROOT"/}"
    return 0
  fi
  [[ -z "${JAEGER_BIN:-}" ]] || die "JAEGER_BIN=$JAEGER_BIN is not an executable"
  command -v go >/dev/null || die "go not found (needed once to build Jaeger $JAEGER_RELEASE)"
  local t0 tmp moddir
  t0="$(now_ms)"
  log "jaeger: building $JAEGER_RELEASE (commit ${JAEGER_COMMIT:0:12}) with $(go env GOVERSION); first run only, several minutes..."
  mkdir -p "$(dirname "$CACHE_DIR")"
  tmp="$(mktemp -d "$CACHE_DIR.tmp.XXXXXX")"
  moddir="$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [[ -f "$moddir/go.sum" ]] || { rm -rf "$tmp"; die "could not download github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION"; }
  mkdir -p "$tmp/src"
  cat >"$tmp/src/go.mod" <<GOMOD
module switchyard.local/jaeger-build

go 1.24.6

require github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION

// Repeated from Jaeger's go.mod: the reason \`go install\` refuses this version.
replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
GOMOD
  {
    cat "$moddir/go.sum"
    echo "github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION $JAEGER_MODULE_SUM"
    echo "github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION/go.mod $JAEGER_GOMOD_SUM"
  } >"$tmp/src/go.sum"
  if ! (cd "$tmp/src" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod" \
      go build -trimpath -ldflags='-s -w' -o "$tmp/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger); then
    rm -rf "$tmp"
    die "go build of github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_MODULE_VERSION failed"
  fi
  "$tmp/jaeger" --help >/dev/null 2>&1 || { rm -rf "$tmp"; die "the built binary does not run"; }
  rm -rf "$CACHE_DIR"
  mv "$tmp" "$CACHE_DIR"
  log "jaeger: built ${BIN#"$ROOT"/} in $(since "$t0") s"
}

start() {
  local t0 pid port
  t0="$(now_ms)"
  pid="$(read_pid)"
  if pid_alive "$pid"; then
    if answers; then
      log "jaeger: already running, query API $QUERY_URL (pid $pid)"
      return 0
    fi
    log "jaeger: pid $pid is starting; waiting for it"
  else
    rm -f "$PID_FILE"
    for port in "$JAEGER_OTLP_HTTP_PORT" "$JAEGER_OTLP_GRPC_PORT" "$JAEGER_QUERY_PORT" "$JAEGER_QUERY_GRPC_PORT"; do
      port_open "$port" && die "port $port is taken by a process this script did not start (set the JAEGER_*_PORT variables)"
    done
    fetch
    mkdir -p "$JAEGER_RUN_DIR"
    log "jaeger: starting $JAEGER_RELEASE: OTLP http://$JAEGER_HOST:$JAEGER_OTLP_HTTP_PORT (grpc :$JAEGER_OTLP_GRPC_PORT), query $QUERY_URL, log ${LOG_FILE#"$ROOT"/}"
    printf '\n===== %s start %s =====\n' "$(date -Is)" "$JAEGER_RELEASE" >>"$LOG_FILE"
    # setsid: own session, so Jaeger outlives the caller (jest globalSetup, CI step).
    (cd "$JAEGER_RUN_DIR" && exec setsid "$BIN" --config "$JAEGER_CONFIG" </dev/null >>"$LOG_FILE" 2>&1) &
    pid=$!
    echo "$pid" >"$PID_FILE"
  fi

  wait_started "$pid" "$JAEGER_READY_TIMEOUT" "$QUERY_URL/api/services not answering" answers
  log "jaeger: ready, query API $QUERY_URL, OTLP http://$JAEGER_HOST:$JAEGER_OTLP_HTTP_PORT, in $(since "$t0") s"
}

port_open() { tcp_open "$JAEGER_HOST" "$1"; }

stop() { stop_service 15 "$JAEGER_RUN_DIR"; }

status() {
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid" && answers; then
    echo "jaeger: running, query API $QUERY_URL, OTLP http://$JAEGER_HOST:$JAEGER_OTLP_HTTP_PORT ($JAEGER_RELEASE, pid $pid)"
  elif pid_alive "$pid"; then
    echo "jaeger: starting (pid $pid, $QUERY_URL not answering yet)"
    return 3
  else
    echo "jaeger: not running (${JAEGER_RUN_DIR#"$ROOT"/})"
    return 3
  fi
}

dispatch "$@"
