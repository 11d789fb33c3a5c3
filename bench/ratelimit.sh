#!/usr/bin/env bash
# Rate-limiter overhead benchmark (issue 5): GET /v1/lookup throughput of discoveryd with the
# limiter enabled (limits set so high that nothing is rejected, but every bucket and budget is
# still checked and charged) against the same build with "rate_limits": {"enabled": false}, over
# the same index, in the same run. Both servers run side by side and wrk alternates between them,
# so drift on a shared machine hits both alike. Lookups are spread over 2*N identifiers (half of
# them in the index), so the distinct budget grows as it would under enumeration.
# Prints each run, the medians and the ratio enabled/disabled (acceptance: >= 0.90).
# Usage: bench/ratelimit.sh [N] [RUNS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
RUNS=${2:-5}
SECS=${3:-10}
CONNS=${4:-32}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cmake --build build --target discoveryd discoveryctl -j2 >/dev/null
OUT=bench/out/ratelimit
rm -rf "$OUT"
mkdir -p "$OUT"

awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
  printf "{\"identifier\": \"user%d@bench.example\", \"provider\": \"chat.example\", \"user\": \"mimi://chat.example/u/%d\"}\n", i, i }' \
  >"$OUT/rows.jsonl"
build/discoveryctl --db "$OUT/index.db" init --issuer bench.example >/dev/null
build/discoveryctl --db "$OUT/index.db" import "$OUT/rows.jsonl" >/dev/null

cat >"$OUT/on.json" <<JSON
{"rate_limits": {"enabled": true, "snapshot": "$OUT/budgets",
  "anonymous": {"rate": 1e9, "burst": 1e9, "distinct_per_day": 1000000000}}}
JSON
echo '{"rate_limits": {"enabled": false}}' >"$OUT/off.json"
cat >"$OUT/lookup.lua" <<LUA
-- Random identifiers from 0 to 2N-1: half found, half not.
math.randomseed(os.time())
request = function()
  local i = math.random(0, $((2 * N - 1)))
  return wrk.format("GET", "/v1/lookup?id=user" .. i .. "%40bench.example&federate=false")
end
LUA

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start() {  # start CONFIG -> prints the port
  build/discoveryd --db "$OUT/index.db" --listen 127.0.0.1:0 --config "$1" >"$1.out" 2>"$1.err" &
  pids+=($!)
  for _ in $(seq 100); do
    if grep -q 'listening on' "$1.out"; then sed -n 's/.*:\([0-9]*\)$/\1/p' "$1.out"; return; fi
    sleep 0.1
  done
  echo "discoveryd did not start: $(cat "$1.err")" >&2
  exit 1
}
port_on=$(start "$OUT/on.json")
port_off=$(start "$OUT/off.json")
rps() {  # rps PORT -> requests per second
  wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$OUT/lookup.lua" "http://127.0.0.1:$1" | awk '/Requests\/sec/ {print $2}'
}
# Warm-up: fills the assertion caches of both, so that signing does not favour the second.
rps "$port_on" >/dev/null
rps "$port_off" >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
on=() off=() pair=()
for ((i = 1; i <= RUNS; i++)); do
  if ((i % 2)); then a=$(rps "$port_on"); b=$(rps "$port_off"); else b=$(rps "$port_off"); a=$(rps "$port_on"); fi
  on+=("$a") off+=("$b") pair+=("$(echo "$a / $b" | bc -l)")
  printf 'run %d: limiter enabled %.0f req/s | disabled %.0f req/s | ratio %.3f\n' "$i" "$a" "$b" "${pair[-1]}"
done
mon=$(printf '%s\n' "${on[@]}" | median)
moff=$(printf '%s\n' "${off[@]}" | median)
if curl -s "http://127.0.0.1:$port_on/metrics" | grep -q 'discovery_rate_limited_total{'; then
  echo "warning: the enabled server rejected requests; raise the limits" >&2
fi
printf 'median of %d runs (%d s, %d connections, %d identifiers): enabled %.0f req/s, disabled %.0f req/s\n' \
  "$RUNS" "$SECS" "$CONNS" "$((2 * N))" "$mon" "$moff"
printf 'ratio enabled/disabled: %.3f (acceptance: >= 0.90); median of the per-run ratios %.3f\n' \
  "$(echo "$mon / $moff" | bc -l)" "$(printf '%s\n' "${pair[@]}" | median)"
