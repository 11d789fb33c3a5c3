#!/usr/bin/env bash
# Rate-limiter overhead benchmark (issue 5): GET /v1/lookup throughput of discoveryd with the
# limiter enabled (limits set so high that nothing is rejected, but every bucket and budget is
# still checked and charged) against the same build with "rate_limits": {"enabled": false}, over
# the same index, in the same run. Both servers run side by side and wrk alternates between them,
# so drift on a shared machine hits both alike. Lookups are spread over 2*N identifiers (half of
# them in the index), so the distinct budget grows as it would under enumeration.
# Prints each run, the medians and the ratio enabled/disabled (acceptance: >= 0.90). On a shared
# machine throughput swings with other load, so it also prints each server's CPU time per request
# (user + system, from /proc), which other processes disturb much less.
# Usage: bench/ratelimit.sh [N] [RUNS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
RUNS=${2:-11}
SECS=${3:-5}
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

source bench/lib.sh
port_on=$(start build/discoveryd "$OUT/index.db" "$OUT/on.json")
port_off=$(start build/discoveryd "$OUT/index.db" "$OUT/off.json")
# Warm-up: fills the assertion caches of both, so that signing does not favour the second.
pid_on=$(cat "$OUT/on.json.pid") pid_off=$(cat "$OUT/off.json.pid")
rps "$port_on" "$pid_on" "$OUT/lookup.lua" >/dev/null
rps "$port_off" "$pid_off" "$OUT/lookup.lua" >/dev/null

on=() off=() pair=() cpu_on=() cpu_off=()
for ((i = 1; i <= RUNS; i++)); do
  if ((i % 2)); then
    read -r a ca < <(rps "$port_on" "$pid_on" "$OUT/lookup.lua"); read -r b cb < <(rps "$port_off" "$pid_off" "$OUT/lookup.lua")
  else
    read -r b cb < <(rps "$port_off" "$pid_off" "$OUT/lookup.lua"); read -r a ca < <(rps "$port_on" "$pid_on" "$OUT/lookup.lua")
  fi
  on+=("$a") off+=("$b") pair+=("$(echo "$a / $b" | bc -l)") cpu_on+=("$ca") cpu_off+=("$cb")
  printf 'run %d: limiter enabled %.0f req/s (%s µs CPU/req) | disabled %.0f req/s (%s µs CPU/req) | ratio %.3f\n' \
    "$i" "$a" "$ca" "$b" "$cb" "${pair[-1]}"
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
con=$(printf '%s\n' "${cpu_on[@]}" | median) coff=$(printf '%s\n' "${cpu_off[@]}" | median)
printf 'median CPU per request: enabled %.1f µs, disabled %.1f µs; throughput ratio implied by CPU: %.3f\n' \
  "$con" "$coff" "$(echo "$coff / $con" | bc -l)"
