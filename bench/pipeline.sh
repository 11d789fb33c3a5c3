#!/usr/bin/env bash
# Request pipeline benchmark (issue 8): GET /v1/lookup throughput of local lookups
# (federate=false) through this build's pipeline (route tables, the lane decision, identifiers
# parsed once) against a baseline build of an earlier commit (default: the last one before the
# pipeline), over the same index, with the rate limiter off in both, in the same run. wrk
# alternates between the two servers, so drift on a shared machine hits both alike. Prints each
# run, the medians, the ratio ours/baseline and the CPU time per request of each server.
# Usage: bench/pipeline.sh [BASE_COMMIT] [RUNS] [SECONDS] [CONNECTIONS] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-8ebbfa5}
RUNS=${2:-9}
SECS=${3:-5}
CONNS=${4:-32}
N=${5:-20000}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cmake --build build --target discoveryd discoveryctl -j2 >/dev/null
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
echo '{"rate_limits": {"enabled": false}}' >"$OUT/ours.json"
cp "$OUT/ours.json" "$OUT/base.json"
cat >"$OUT/lookup.lua" <<LUA
-- Random phone numbers (libphonenumber parses each), half of them in the index.
math.randomseed(os.time())
request = function()
  local i = math.random(0, $((2 * N - 1)))
  return wrk.format("GET", "/v1/lookup?id=%2B1415" .. string.format("%07d", 5550000 + i) .. "&federate=false")
end
LUA

source bench/lib.sh
port_ours=$(start build/discoveryd "$OUT/index.db" "$OUT/ours.json")
port_base=$(start "$OUT/base/build/discoveryd" "$OUT/index.db" "$OUT/base.json")
pid_ours=$(cat "$OUT/ours.json.pid") pid_base=$(cat "$OUT/base.json.pid")
# Warm-up: fills the assertion caches of both, so that signing does not favour the second.
rps "$port_ours" "$pid_ours" "$OUT/lookup.lua" >/dev/null
rps "$port_base" "$pid_base" "$OUT/lookup.lua" >/dev/null

ours=() base=() pair=() cpu_ours=() cpu_base=()
for ((i = 1; i <= RUNS; i++)); do
  if ((i % 2)); then
    read -r a ca < <(rps "$port_ours" "$pid_ours" "$OUT/lookup.lua"); read -r b cb < <(rps "$port_base" "$pid_base" "$OUT/lookup.lua")
  else
    read -r b cb < <(rps "$port_base" "$pid_base" "$OUT/lookup.lua"); read -r a ca < <(rps "$port_ours" "$pid_ours" "$OUT/lookup.lua")
  fi
  ours+=("$a") base+=("$b") pair+=("$(echo "$a / $b" | bc -l)") cpu_ours+=("$ca") cpu_base+=("$cb")
  printf 'run %d: pipeline %.0f req/s (%s µs CPU/req) | baseline %s %.0f req/s (%s µs CPU/req) | ratio %.3f\n' \
    "$i" "$a" "$ca" "$BASE" "$b" "$cb" "${pair[-1]}"
done
mo=$(printf '%s\n' "${ours[@]}" | median)
mb=$(printf '%s\n' "${base[@]}" | median)
printf 'median of %d runs (%d s, %d connections): pipeline %.0f req/s, baseline %.0f req/s\n' "$RUNS" "$SECS" "$CONNS" "$mo" "$mb"
printf 'ratio pipeline/baseline: %.3f; median of the per-run ratios %.3f\n' \
  "$(echo "$mo / $mb" | bc -l)" "$(printf '%s\n' "${pair[@]}" | median)"
co=$(printf '%s\n' "${cpu_ours[@]}" | median) cb=$(printf '%s\n' "${cpu_base[@]}" | median)
printf 'median CPU per request: pipeline %.1f µs, baseline %.1f µs\n' "$co" "$cb"
