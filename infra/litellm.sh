#!/usr/bin/env bash
# LiteLLM proxy in a private Python venv, for the peer benchmark (bench/peers, `npm run bench:peers`).
# It comes from PyPI (bench/peers/requirements-litellm.txt pins the version); no Docker, no database.
#
#   bash infra/litellm.sh install   # create .cache/litellm-venv and pip install the pinned version (idempotent)
#   bash infra/litellm.sh version   # print the installed version (exit 3 if not installed)
#
# Environment (defaults in brackets):
#   LITELLM_VENV [.cache/litellm-venv]   the venv (its bin/litellm is what bench/peers/litellm.ts runs)
#   PYTHON [python3]                      interpreter that creates the venv (3.9-3.13)
#   PIP_CACHE_DIR [.cache/pip]            pip's download cache (kept under the git-ignored .cache/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICE=litellm
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

LITELLM_VENV="$(abspath "${LITELLM_VENV:-$ROOT/.cache/litellm-venv}")"
PYTHON="${PYTHON:-python3}"
REQUIREMENTS="$ROOT/bench/peers/requirements-litellm.txt"
PIP_VERSION=26.3
VENV_PY="$LITELLM_VENV/bin/python"

pinned_version() { # the version pinned for litellm in the requirements file
  sed -nE 's/^litellm(\[[^]]*\])?==([^[:space:]#]+).*/\2/p' "$REQUIREMENTS" | head -n 1
}

installed_version() { # the litellm version in the venv; fails when there is none
  [[ -x "$VENV_PY" ]] || return 1
  "$VENV_PY" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null
}

install() {
  local want have t0
  want="$(pinned_version)"
  [[ -n "$want" ]] || die "no litellm==VERSION pin in $(rel "$REQUIREMENTS")"
  # The requirements file's hash, kept in the venv, also catches a change to the other pins.
  local stamp="$LITELLM_VENV/.requirements.sha256" sum
  sum="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
  have="$(installed_version || true)"
  if [[ "$have" == "$want" && -f "$stamp" && "$(cat "$stamp")" == "$sum" && -x "$LITELLM_VENV/bin/litellm" ]]; then
    log "litellm: $have already installed in $(rel "$LITELLM_VENV")"
    echo "$have"
    return 0
  fi
  t0="$(now_ms)"
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PYTHON to a Python 3.9-3.13 interpreter)"
  if [[ ! -x "$VENV_PY" ]]; then
    # A broken venv (interrupted create) is recreated; any other non-empty directory is left alone.
    if [[ -d "$LITELLM_VENV" && -n "$(ls -A "$LITELLM_VENV")" && ! -f "$LITELLM_VENV/pyvenv.cfg" ]]; then
      die "$(rel "$LITELLM_VENV") exists and is not a venv; remove it or set LITELLM_VENV"
    fi
    log "litellm: creating $(rel "$LITELLM_VENV") with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv --clear "$LITELLM_VENV" || die "$PYTHON -m venv failed (Debian: apt-get install -y python3-venv)"
  fi
  log "litellm: installing $want (have: ${have:-none}) from $(rel "$REQUIREMENTS")..."
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_CACHE_DIR="${PIP_CACHE_DIR:-$ROOT/.cache/pip}"
  # The venv's bundled pip (23.x with Python 3.11) resolves this tree in ~70 s, a current one in ~45 s.
  "$VENV_PY" -m pip install -q "pip==$PIP_VERSION" </dev/null >&2 || die "pip install pip==$PIP_VERSION failed"
  "$VENV_PY" -m pip install -q -r "$REQUIREMENTS" </dev/null >&2 || die "pip install -r $(rel "$REQUIREMENTS") failed"
  have="$(installed_version)" || die "litellm is not importable after pip install"
  [[ "$have" == "$want" ]] || die "pip installed litellm $have, not the pinned $want"
  echo "$sum" >"$stamp"
  log "litellm: installed $have in $(since "$t0") s ($(du -sh "$LITELLM_VENV" | cut -f1) in $(rel "$LITELLM_VENV"))"
  echo "$have"
}

install_dispatch "$LITELLM_VENV" "$@"
