#!/usr/bin/env bash
# Single Redis server without Docker, for the shared budget/idempotency state (STATE_BACKEND=redis),
# its tests, the demo and CI. The binary comes from the Debian package `redis-server`.
#
#   bash infra/redis.sh fetch    # apt-get install -y redis-server, only when redis-server is missing (root)
#   bash infra/redis.sh start    # fetch if needed, write redis.conf, start, wait until it answers PING
#   bash infra/redis.sh stop     # SHUTDOWN NOSAVE / SIGTERM, up to 10 s, then SIGKILL
#   bash infra/redis.sh status   # exit 0 if running and answering PING, 3 if not
#
# Environment (defaults in brackets):
#   REDIS_PORT [6379]                TCP port on 127.0.0.1 (the server binds 127.0.0.1 only)
#   REDIS_RUN_DIR [.infra/redis]     redis.conf, redis.pid, redis.log, and the data dir (one server per run dir)
#   REDIS_PERSIST [false]            true: RDB snapshots + AOF in $REDIS_RUN_DIR/data; otherwise
#                                    `--save "" --appendonly no` (nothing on disk; tests, demo)
#   REDIS_MAXMEMORY [256mb]          maxmemory; policy noeviction (budget keys must never be evicted silently)
#   REDIS_EXTRA_CONFIG               extra redis.conf lines (newline separated), appended last
#   REDIS_READY_TIMEOUT [15]         seconds to wait for PING after start
#   REDIS_SERVER [redis-server]      server binary (PATH lookup)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICE=redis
PROCESS_PATTERN=redis-server
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

REDIS_HOST=127.0.0.1
REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_RUN_DIR="$(abspath "${REDIS_RUN_DIR:-$ROOT/.infra/redis}")"
REDIS_PERSIST="${REDIS_PERSIST:-false}"
REDIS_MAXMEMORY="${REDIS_MAXMEMORY:-256mb}"
REDIS_EXTRA_CONFIG="${REDIS_EXTRA_CONFIG:-}"
REDIS_READY_TIMEOUT="${REDIS_READY_TIMEOUT:-15}"
REDIS_SERVER="${REDIS_SERVER:-redis-server}"

PID_FILE="$REDIS_RUN_DIR/redis.pid"
LOG_FILE="$REDIS_RUN_DIR/redis.log"
CONF="$REDIS_RUN_DIR/redis.conf"
DATA_DIR="$REDIS_RUN_DIR/data"

ping() { # ping -> 0 if the server on REDIS_PORT answers +PONG (no redis-cli needed: RESP over /dev/tcp)
  local reply
  reply="$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 line <&3 || exit 1
    printf '%s' "$line"
  )" || return 1
  [[ "${reply%$'\r'}" == "+PONG" ]]
}

fetch() {
  if command -v "$REDIS_SERVER" >/dev/null; then
    log "redis: $("$REDIS_SERVER" --version | sed -E 's/.*v=([^ ]+).*/redis-server \1/') at $(command -v "$REDIS_SERVER")"
    return 0
  fi
  if [[ "$(id -u)" != 0 ]]; then
    die "redis-server is not installed and installing it needs root: run \`sudo apt-get install -y redis-server\` (or set REDIS_SERVER to a redis-server binary, or REDIS_URL to a running server)"
  fi
  command -v apt-get >/dev/null || die "redis-server is not installed and apt-get is not available; install Redis 7+ and put redis-server on PATH (or set REDIS_SERVER)"
  local t0
  t0="$(now_ms)"
  log "redis: installing the Debian package redis-server (first run only)..."
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be missing on a fresh machine; refresh them only when the install fails.
  if ! apt-get install -y -qq --no-install-recommends redis-server >&2; then
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends redis-server >&2 || die "apt-get install redis-server failed"
  fi
  command -v "$REDIS_SERVER" >/dev/null || die "redis-server still not on PATH after apt-get install"
  log "redis: installed $("$REDIS_SERVER" --version | sed -E 's/.*v=([^ ]+).*/\1/') in $(since "$t0") s"
}

write_config() {
  mkdir -p "$REDIS_RUN_DIR" "$DATA_DIR"
  {
    echo "# Written by infra/redis.sh on every start; edit the script (or REDIS_EXTRA_CONFIG), not this file."
    echo "bind $REDIS_HOST"
    echo "port $REDIS_PORT"
    echo "protected-mode yes"
    echo "daemonize no"
    echo "pidfile $PID_FILE"
    echo "dir $DATA_DIR"
    echo "logfile \"\""
    echo "maxmemory $REDIS_MAXMEMORY"
    echo "maxmemory-policy noeviction"
    echo "tcp-keepalive 60"
    if [[ "$REDIS_PERSIST" == true ]]; then
      echo "save 3600 1 300 100 60 10000"
      echo "appendonly yes"
      echo "appendfsync everysec"
    else
      echo 'save ""'
      echo "appendonly no"
    fi
    printf '%s\n' "$REDIS_EXTRA_CONFIG"
  } >"$CONF"
}

start() {
  local t0 pid
  t0="$(now_ms)"
  pid="$(read_pid)"
  if pid_alive "$pid"; then
    if ping; then
      log "redis: already running on $REDIS_HOST:$REDIS_PORT (pid $pid)"
      return 0
    fi
    log "redis: pid $pid is starting; waiting for it"
  else
    rm -f "$PID_FILE"
    port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by a process this script did not start (set REDIS_PORT)"
    fetch
    write_config
    log "redis: starting on $REDIS_HOST:$REDIS_PORT (persist=$REDIS_PERSIST, run dir $(rel "$REDIS_RUN_DIR"), log $(rel "$LOG_FILE"))"
    printf '\n===== %s start =====\n' "$(date -Is)" >>"$LOG_FILE"
    # setsid: own session, so the server outlives the caller (jest, CI step) and no terminal signal
    # reaches it; every stdio fd is redirected so callers waiting on pipes return.
    (cd "$REDIS_RUN_DIR" && exec setsid "$REDIS_SERVER" "$CONF" </dev/null >>"$LOG_FILE" 2>&1) &
    pid=$!
    echo "$pid" >"$PID_FILE"
  fi

  wait_started "$pid" "$REDIS_READY_TIMEOUT" "no PONG from $REDIS_HOST:$REDIS_PORT" ping
  # redis-server rewrites the pid file itself; keep ours authoritative (same pid: exec above).
  echo "$pid" >"$PID_FILE"
  log "redis: ready on $REDIS_HOST:$REDIS_PORT in $(since "$t0") s"
}

port_open() { tcp_open "$REDIS_HOST" "$1"; }

stop() { stop_service 10 "$REDIS_RUN_DIR"; }

status() {
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid" && ping; then
    echo "redis: running on $REDIS_HOST:$REDIS_PORT (pid $pid, persist=$REDIS_PERSIST, log $(rel "$LOG_FILE"))"
  elif pid_alive "$pid"; then
    echo "redis: starting (pid $pid, no PONG on port $REDIS_PORT yet)"
    return 3
  else
    echo "redis: not running ($(rel "$REDIS_RUN_DIR"))"
    return 3
  fi
}

dispatch "$@"
