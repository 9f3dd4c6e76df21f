#!/usr/bin/env bash
# Installs every tool quantlens needs, at pinned versions, skipping what is already there.
# Only package registries are used (crates.io, npm, Debian). Safe to rerun: a warm rerun takes seconds.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130   # must equal wasm-bindgen in Cargo.lock (checked below)
TRUNK_VERSION=0.21.14          # 0.22.x needs a newer rustc than this machine's
BINARYEN_VERSION=132.0.0       # gives wasm-opt version_132; Debian's binaryen 108 breaks the wasm

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="$HOME/.cargo/bin:$here/node_modules/.bin:$PATH"

log() { printf '[setup] %s\n' "$*"; }

want_browser=0
want_trunk=1
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --no-trunk) want_trunk=0 ;;
    *) echo "setup.sh: unknown option $arg (expected --browser or --no-trunk)" >&2; exit 2 ;;
  esac
done

# The wasm-bindgen CLI must match the library version in Cargo.lock exactly.
if [ -f Cargo.lock ]; then
  locked=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
  if [ -n "$locked" ] && [ "$locked" != "$WASM_BINDGEN_VERSION" ]; then
    echo "setup.sh: Cargo.lock has wasm-bindgen $locked but the pinned CLI is $WASM_BINDGEN_VERSION; they must be equal" >&2
    exit 1
  fi
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # Not --locked: one locked dependency of this release is missing from the registry here.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ "$want_trunk" = 1 ] && [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (about 20 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --force
fi

if [ ! -f package.json ]; then
  echo "setup.sh: package.json missing (run from the repository)" >&2; exit 1
fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] \
   || ! node_modules/.bin/wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  log "installing npm packages (binaryen $BINARYEN_VERSION, playwright-core) from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$want_browser" = 1 ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    log "installing Debian chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
log "tools ready: $(wasm-bindgen --version), trunk $(trunk --version 2>/dev/null | awk '{print $2}' || echo '-'), wasm-opt $(node_modules/.bin/wasm-opt --version | awk '{print $3}')"
