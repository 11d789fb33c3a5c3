#!/usr/bin/env bash
# Sets up, creates a demo index (data/demo.db) from data/demo.jsonl and runs the service on it.
# LISTEN (default 127.0.0.1:8080) is where it serves. It refuses to start when LISTEN is taken or
# when a process has the index open (another demo still running): it never deletes an index that
# a server is using. DEMO_DB, BUILD_DIR and DEMO_SKIP_SETUP=1 are for the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DEMO_DB:-data/demo.db}
BUILD_DIR=${BUILD_DIR:-build}
LISTEN=${LISTEN:-127.0.0.1:8080}

# True when something accepts connections at HOST:PORT (bash's /dev/tcp; no extra tool needed).
port_taken() {
  local host=${1%:*} port=${1##*:}
  host=${host#[}
  host=${host%]}
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# The ids of the processes that have FILE (or its -wal/-shm) open, from /proc.
holders() {
  local f real fd target pids=()
  for f in "$1" "$1-wal" "$1-shm"; do
    [[ -e $f ]] || continue
    real=$(readlink -f "$f")
    for fd in /proc/[0-9]*/fd/*; do
      target=$(readlink "$fd" 2>/dev/null) || continue
      [[ $target == "$real" ]] && pids+=("$(cut -d/ -f3 <<<"$fd")")
    done
  done
  ((${#pids[@]})) && printf '%s\n' "${pids[@]}" | sort -un | tr '\n' ' '
  return 0
}

if [[ ${LISTEN##*:} != 0 ]] && port_taken "$LISTEN"; then
  echo "demo: $LISTEN is already in use (another demo?); stop it, or pick another address: LISTEN=127.0.0.1:8081 $0" >&2
  exit 1
fi
busy=$(holders "$DB")
if [[ -n $busy ]]; then
  echo "demo: $DB is open in process ${busy% } (a discoveryd of another demo?); stop it first, or use another index: DEMO_DB=data/demo2.db $0" >&2
  exit 1
fi

[[ ${DEMO_SKIP_SETUP:-0} == 1 ]] || scripts/setup.sh
rm -f "$DB" "$DB-wal" "$DB-shm"
"$BUILD_DIR/discoveryctl" --db "$DB" init --issuer dp.example
"$BUILD_DIR/discoveryctl" --db "$DB" import data/demo.jsonl
# The private index (DESIGN.md §12), so that `mimi-lookup --private` works on the demo too.
"$BUILD_DIR/discoveryctl" --db "$DB" private rotate
if [[ -x $BUILD_DIR/discoveryd ]]; then
  echo
  echo "Try:  curl -s 'http://$LISTEN/v1/lookup?id=%2B14155552671' | python3 -m json.tool"
  echo "      build/mimi-lookup --server http://$LISTEN +14155552671"
  echo "      build/mimi-lookup --server http://$LISTEN --private +14155552671"
  echo "      the lookup page: http://$LISTEN/ in a browser"
  echo "Stop with Ctrl-C."
  exec "$BUILD_DIR/discoveryd" --db "$DB" --listen "$LISTEN"
else
  "$BUILD_DIR/discoveryctl" --db "$DB" lookup +14155552671
fi
