#!/usr/bin/env bash
# Shared rate limits benchmark (issue 11): GET /v1/lookup throughput of discoveryd with its limiter
# in Redis ("rate_limits": {"redis": ...}, one script call per request to a redis-server on
# loopback) against the in-process limiter, over the same index, in the same run. Both servers
# run side by side and wrk alternates between them, so drift on a shared machine hits both alike.
# Limits are set so high that nothing is rejected, but every bucket and budget is still checked
# and charged; lookups are spread over 2*N identifiers, so the distinct budget grows as it would
# under enumeration. Prints each run, the medians and the ratio redis/in-process, and the CPU time
# per request (for the Redis side: discoveryd plus redis-server).
# Usage: bench/redis_limits.sh [N] [RUNS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
RUNS=${2:-7}
SECS=${3:-5}
CONNS=${4:-32}
source bench/lib.sh
build_with_wrk
need redis-server redis-tools
OUT=bench/out/redis_limits
rm -rf "$OUT"
mkdir -p "$OUT"

lookup_index "$N"

# A redis-server of our own on a free loopback port, no persistence, in the output folder.
REDIS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$OUT" \
  --logfile "$PWD/$OUT/redis.log" &
redis_pid=$!
pids+=("$redis_pid")
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$REDIS_PORT" PING >/dev/null || { echo "redis-server did not start: $(cat "$OUT/redis.log")" >&2; exit 1; }

LIMITS='"anonymous": {"rate": 1e9, "burst": 1e9, "distinct_per_day": 1000000000}'
cat >"$OUT/local.json" <<JSON
{"rate_limits": {"snapshot": "$OUT/budgets", $LIMITS}}
JSON
cat >"$OUT/redis.json" <<JSON
{"rate_limits": {"redis": "redis://127.0.0.1:$REDIS_PORT", $LIMITS}}
JSON

start "$BUILD"/discoveryd "$OUT/index.db" "$OUT/redis.json"
port_redis=$START_PORT pid_redis=$START_PID
start "$BUILD"/discoveryd "$OUT/index.db" "$OUT/local.json"
port_local=$START_PORT pid_local=$START_PID
# Warm-up: fills the assertion caches of both, so that signing does not favour the second.
rps "$port_redis" "$pid_redis" "$OUT/lookup.lua" >/dev/null
rps "$port_local" "$pid_local" "$OUT/lookup.lua" >/dev/null

alternate redis "$port_redis" "$pid_redis $redis_pid" in-process "$port_local" "$pid_local" "$OUT/lookup.lua"
echo "p99 latency (median): redis ${ALT_P99_A} ms, in-process ${ALT_P99_B} ms"
for port in "$port_redis" "$port_local"; do
  if curl -s "http://127.0.0.1:$port/metrics" | grep -Eq 'discovery_rate_limited_total\{|redis_up 0'; then
    echo "warning: a server rejected requests or lost Redis; the figures are not comparable" >&2
  fi
done
echo "keys in Redis: $(redis-cli -p "$REDIS_PORT" DBSIZE)"
