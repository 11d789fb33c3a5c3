#!/usr/bin/env bash
# Installs the Debian packages mimi-discovery needs (if missing) and builds it into build/.
# Usage: scripts/setup.sh            (idempotent; safe to run again)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config ccache libboost-dev libsqlite3-dev sqlite3 libssl-dev
  nlohmann-json3-dev libcpp-httplib-dev doctest-dev libphonenumber-dev libidn2-dev
  # PgStore (libpq) and the real PostgreSQL 15 its tests start (DESIGN.md §10)
  libpq-dev postgresql
  # shared rate limits (DESIGN.md §10): the client library, and the server the tests start
  libhiredis-dev redis-server redis-tools
  # private lookups (DESIGN.md §12): ristretto255 OPRF and ChaCha20-Poly1305
  libsodium-dev
  openssl ca-certificates curl bc python3 python3-jwcrypto
  # scripts/fuzz.sh: clang, and libFuzzer with the sanitizer runtimes (clang only recommends them)
  clang libclang-rt-14-dev
  # the lookup page's browser test (tests/interop/lookup_page.test.mjs), driven by playwright-core
  chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  # A service a package would start (postgresql's cluster "main" on port 5432) is not started:
  # the tests start their own servers on free ports (docs/DEPENDENCIES.md).
  policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [[ -z $policy ]] || $SUDO rm -f "$policy"
fi

# The interoperability tests (tests/interop/) run real client libraries on Node.js: the machine's
# node when there is one (Node 20 or later), else Debian's. Their npm packages are pinned by
# package-lock.json; npm ci runs again only when the lockfile changed.
if ! command -v node >/dev/null; then
  echo "setup: installing nodejs npm" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if ! cmp -s tests/interop/package-lock.json tests/interop/node_modules/.mimi-lock; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
  cp tests/interop/package-lock.json tests/interop/node_modules/.mimi-lock
fi

# Relative paths in ccache keys let clones in other folders share the cache.
export CCACHE_BASEDIR="$PWD"
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} >/dev/null
cmake --build "$BUILD_DIR" -j"${JOBS:-2}"
