#!/usr/bin/env bash
# The Portkey AI gateway (npm @portkey-ai/gateway) in a private npm prefix, for the peer benchmark
# (bench/peers, `npm run bench:peers`). It is a Node program (a single bundled build/start-server.js
# plus ~15 npm dependencies); no Docker, no database, no Redis, no account.
#
#   bash infra/portkey.sh install   # npm install the pinned version into .cache/portkey-gateway (idempotent)
#   bash infra/portkey.sh version   # print the installed version (exit 3 if not installed)
#
# Environment (defaults in brackets):
#   PORTKEY_PREFIX [.cache/portkey-gateway]   the npm prefix (bench/peers/portkey.ts runs its
#                                             node_modules/@portkey-ai/gateway/build/start-server.js)
#   NPM [npm]                                 the npm client
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICE=portkey
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

# The one place the version is pinned (bench/peers/portkey.ts reads what `install` prints).
PORTKEY_VERSION=1.15.2

PORTKEY_PREFIX="$(abspath "${PORTKEY_PREFIX:-$ROOT/.cache/portkey-gateway}")"
NPM="${NPM:-npm}"
PKG_DIR="$PORTKEY_PREFIX/node_modules/@portkey-ai/gateway"
ENTRY="$PKG_DIR/build/start-server.js"

installed_version() { # the gateway version in the prefix; fails when there is none
  [[ -f "$ENTRY" && -f "$PKG_DIR/package.json" ]] || return 1
  sed -nE 's/^[[:space:]]*"version":[[:space:]]*"([^"]+)".*/\1/p' "$PKG_DIR/package.json" | head -n 1
}

install() {
  local have t0
  have="$(installed_version || true)"
  # The prefix's dependencies must be complete too (an interrupted install leaves the entry point
  # without e.g. hono), so the stamp is written last.
  if [[ "$have" == "$PORTKEY_VERSION" && -f "$PORTKEY_PREFIX/.installed" && "$(cat "$PORTKEY_PREFIX/.installed")" == "$PORTKEY_VERSION" ]]; then
    log "portkey: $have already installed in $(rel "$PORTKEY_PREFIX")"
    echo "$have"
    return 0
  fi
  t0="$(now_ms)"
  command -v "$NPM" >/dev/null || die "$NPM not found"
  mkdir -p "$PORTKEY_PREFIX"
  rm -f "$PORTKEY_PREFIX/.installed"
  log "portkey: installing @portkey-ai/gateway@$PORTKEY_VERSION (have: ${have:-none}) into $(rel "$PORTKEY_PREFIX")..."
  # --ignore-scripts: the package's only script is `postinstall: patch-package`, a no-op here (it
  # ships no patches/); nothing in its tree needs a build step. The prefix gets its own
  # package.json and lock, so the repository's are never touched.
  NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_YES=true \
    "$NPM" install --prefix "$PORTKEY_PREFIX" "@portkey-ai/gateway@$PORTKEY_VERSION" \
    --save-exact --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null >&2 ||
    die "npm install @portkey-ai/gateway@$PORTKEY_VERSION failed"
  have="$(installed_version)" || die "no $(rel "$ENTRY") after npm install"
  [[ "$have" == "$PORTKEY_VERSION" ]] || die "npm installed @portkey-ai/gateway $have, not the pinned $PORTKEY_VERSION"
  echo "$have" >"$PORTKEY_PREFIX/.installed"
  log "portkey: installed $have in $(since "$t0") s ($(du -sh "$PORTKEY_PREFIX" | cut -f1) in $(rel "$PORTKEY_PREFIX"))"
  echo "$have"
}

install_dispatch "$PORTKEY_PREFIX" "$@"
