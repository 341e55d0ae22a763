# Shared by infra/<service>.sh (sourced, not run): logging, timing, pid files, a graceful stop,
# and the install|version command line of the tools installed under .cache (litellm.sh, portkey.sh).
# The caller sets ROOT before sourcing, and SERVICE (log prefix), PID_FILE and PROCESS_PATTERN
# (matched against /proc/PID/cmdline, so a recycled pid is never mistaken for the service).

log() { printf '%s\n' "$*" >&2; }
now_ms() { local t="${EPOCHREALTIME/[.,]/}"; echo "${t:0:-3}"; }
since() { local ms=$(($(now_ms) - $1)); printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)); } # seconds, 1 decimal
die() { log "$SERVICE: error: $*"; exit 1; }
rel() { printf '%s\n' "${1#"$ROOT"/}"; }

abspath() { # abspath PATH -> absolute path (relative paths are taken from the current directory)
  case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac
}

tcp_open() { # tcp_open HOST PORT -> 0 if something accepts TCP connections there
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

pid_alive() { # pid_alive PID -> 0 if PID is a live (non-zombie) process of this service
  local pid="$1" state
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [[ "$state" != Z && "$state" != X ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$PROCESS_PATTERN"
}

read_pid() { [[ -f "$PID_FILE" ]] && cat "$PID_FILE" 2>/dev/null || true; }

stop_service() { # stop_service GRACE_SECONDS RUN_DIR -> SIGTERM, wait, then SIGKILL
  local grace="$1" run_dir="$2" pid i t0
  pid="$(read_pid)"
  if ! pid_alive "$pid"; then
    rm -f "$PID_FILE"
    log "$SERVICE: not running ($(rel "$run_dir"))"
    return 0
  fi
  t0="$(now_ms)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    log "$SERVICE: pid $pid still alive after $grace s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  log "$SERVICE: stopped (pid $pid) in $(since "$t0") s"
}

wait_started() { # wait_started PID TIMEOUT_S WHAT CHECK... -> until CHECK succeeds; dies if PID exits or time runs out
  local pid="$1" timeout="$2" what="$3"
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ! pid_alive "$pid"; then
      sleep 0.2
      pid_alive "$pid" || {
        rm -f "$PID_FILE"
        log "----- last lines of $(rel "$LOG_FILE") -----"
        tail -n 40 "$LOG_FILE" >&2 || true
        die "$SERVICE exited during start-up"
      }
    fi
    ((SECONDS < deadline)) || die "$what after $timeout s (see $(rel "$LOG_FILE"))"
    sleep 0.1
  done
}

dispatch() { # dispatch COMMAND -> runs the service's fetch|start|stop|status|restart function
  case "${1:-}" in
    fetch) fetch ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    restart) stop; start ;;
    *) log "usage: $0 {fetch|start|stop|status|restart}"; exit 2 ;;
  esac
}

install_dispatch() { # install_dispatch INSTALL_DIR COMMAND -> runs install, or prints installed_version (exit 3 if none)
  # For the tools installed under .cache (infra/litellm.sh, portkey.sh): the caller defines
  # install and installed_version; INSTALL_DIR is where `version` says it looked.
  case "${2:-}" in
    install) install ;;
    version)
      local have
      have="$(installed_version)" || { log "$SERVICE: not installed in $(rel "$1") (run: bash infra/$SERVICE.sh install)"; exit 3; }
      echo "$have"
      ;;
    *) log "usage: $0 {install|version}"; exit 2 ;;
  esac
}
