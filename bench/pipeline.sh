#!/usr/bin/env bash
# Request pipeline benchmark (issue 8): GET /v1/lookup throughput of local lookups
# (federate=false) through this build's pipeline (route tables, the lane decision, identifiers
# parsed once) against a baseline build of an earlier commit (default: the last one before the
# pipeline), over the same index, with the rate limiter off in both, in the same run. wrk
# alternates between the two servers, so drift on a shared machine hits both alike. Prints each
# run, the medians, the ratio ours/baseline and the CPU time per request of each server.
# Usage: bench/pipeline.sh [BASE_COMMIT] [RUNS]   (env: SECS=5 CONNS=32 N=20000, and OURS_CONFIG,
# extra config keys for this build only, e.g. OURS_CONFIG='"identifier_cache_entries": 0')
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-8ebbfa5} RUNS=${2:-9} SECS=${SECS:-5} CONNS=${CONNS:-32} N=${N:-20000}
source bench/lib.sh
build_with_wrk
OUT=$PWD/bench/out/pipeline
mkdir -p "$OUT"
rm -f "$OUT"/index.db* "$OUT"/*.json*

# The baseline: the same sources at BASE, built with the same flags into its own folder.
if [[ ! -d "$OUT/base" ]]; then git worktree add --detach "$OUT/base" "$BASE" >/dev/null; fi
git -C "$OUT/base" checkout -q --detach "$BASE"
CCACHE_BASEDIR="$OUT/base" cmake -S "$OUT/base" -B "$OUT/base/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$OUT/base/build" --target discoveryd -j2 >/dev/null

awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
  printf "{\"identifier\": \"+1415%07d\", \"provider\": \"chat.example\", \"user\": \"mimi://chat.example/u/%d\"}\n", 5550000 + i, i }' \
  >"$OUT/rows.jsonl"
build/discoveryctl --db "$OUT/index.db" init --issuer bench.example >/dev/null
build/discoveryctl --db "$OUT/index.db" import "$OUT/rows.jsonl" >/dev/null
echo '{"rate_limits": {"enabled": false}}' >"$OUT/base.json"
echo "{\"rate_limits\": {\"enabled\": false}${OURS_CONFIG:+, $OURS_CONFIG}}" >"$OUT/ours.json"
cat >"$OUT/lookup.lua" <<LUA
-- Random phone numbers (libphonenumber parses each), half of them in the index.
math.randomseed(os.time())
request = function()
  local i = math.random(0, $((2 * N - 1)))
  return wrk.format("GET", "/v1/lookup?id=%2B1415" .. string.format("%07d", 5550000 + i) .. "&federate=false")
end
LUA

start build/discoveryd "$OUT/index.db" "$OUT/ours.json"
port_ours=$START_PORT pid_ours=$START_PID
start "$OUT/base/build/discoveryd" "$OUT/index.db" "$OUT/base.json"
port_base=$START_PORT pid_base=$START_PID
# Warm-up: fills the assertion caches of both, so that signing does not favour the second.
rps "$port_ours" "$pid_ours" "$OUT/lookup.lua" >/dev/null
rps "$port_base" "$pid_base" "$OUT/lookup.lua" >/dev/null

alternate pipeline "$port_ours" "$pid_ours" "baseline-$BASE" "$port_base" "$pid_base" "$OUT/lookup.lua"
