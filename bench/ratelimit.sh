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
source bench/lib.sh
build_with_wrk
OUT=bench/out/ratelimit
rm -rf "$OUT"
mkdir -p "$OUT"

lookup_index "$N"

cat >"$OUT/on.json" <<JSON
{"rate_limits": {"enabled": true, "snapshot": "$OUT/budgets",
  "anonymous": {"rate": 1e9, "burst": 1e9, "distinct_per_day": 1000000000}}}
JSON
echo '{"rate_limits": {"enabled": false}}' >"$OUT/off.json"

start build/discoveryd "$OUT/index.db" "$OUT/on.json"
port_on=$START_PORT pid_on=$START_PID
start build/discoveryd "$OUT/index.db" "$OUT/off.json"
port_off=$START_PORT pid_off=$START_PID
# Warm-up: fills the assertion caches of both, so that signing does not favour the second.
rps "$port_on" "$pid_on" "$OUT/lookup.lua" >/dev/null
rps "$port_off" "$pid_off" "$OUT/lookup.lua" >/dev/null

alternate enabled "$port_on" "$pid_on" disabled "$port_off" "$pid_off" "$OUT/lookup.lua"
if curl -s "http://127.0.0.1:$port_on/metrics" | grep -q 'discovery_rate_limited_total{'; then
  echo "warning: the enabled server rejected requests; raise the limits" >&2
fi
echo "acceptance: ratio enabled/disabled >= 0.90"
