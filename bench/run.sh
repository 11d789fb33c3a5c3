#!/usr/bin/env bash
# The benchmark harness (issue 9): one command that builds the binaries it runs (in build/, the
# README's set-up's optimised RelWithDebInfo build, so that it measures what the project's commands
# build and run; BUILD_TYPE=Release builds -O3 into build-release/ instead), installs wrk and nginx
# when missing, makes the data sets in bench/out/ (kept and reused), runs every scenario against a
# baseline measured in the same run and prints one table
# (scenario | ours | baseline | ratio | target | pass/fail), also written to
# bench/out/results.md; the details of each step go to bench/out/run.log. docs/PERFORMANCE.md says
# what each scenario measures.
# Usage: bench/run.sh   (env: RUNS=5 alternating wrk runs of SECS=5 s, CONNS=32 connections;
#   BATCH_CONNS=4 connections for the batch scenarios; IMPORT_RUNS=3 runs of the import;
#   FED_N=200 lookups a mode and round of the federation benchmark; LARGE=10000000 rows of the
#   large index of the scale scenario; BUILD_TYPE=RelWithDebInfo)
set -euo pipefail
cd "$(dirname "$0")/.."
T_START=$(date +%s.%N)
RUNS=${RUNS:-5} SECS=${SECS:-5} CONNS=${CONNS:-32} BATCH_CONNS=${BATCH_CONNS:-4}
IMPORT_RUNS=${IMPORT_RUNS:-3} FED_N=${FED_N:-200}
INDEX=1000000 SMALL=100000 LARGE=${LARGE:-10000000} WS=10000 BATCH=1000
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
if [[ $BUILD_TYPE == RelWithDebInfo ]]; then export BUILD=build; else export BUILD=build-$(tr 'A-Z' 'a-z' <<<"$BUILD_TYPE"); fi
ROOT=$PWD OUT=$PWD/bench/out/run
source bench/lib.sh
rm -rf "$OUT"
mkdir -p "$OUT"
LOG=$ROOT/bench/out/run.log
exec > >(tee "$LOG") 2>&1
TEE_PID=$!
export ERRLOG=$OUT/errors

now() { date +%s.%N; }
say() { printf '[%s] %s\n' "$(date -u +%T)" "$*"; }
# timed NAME COMMAND...: runs COMMAND in this shell and records how long it took.
PHASES=()
timed() {
  local name=$1 t0 t
  shift
  say "== $name"
  t0=$(now)
  "$@"
  t=$(echo "$(now) - $t0" | bc)
  PHASES+=("$(printf '| %s | %.0f |' "$name" "$t")")
  say "   $name took $(printf %.0f "$t") s"
}
# row SCENARIO OURS BASELINE RATIO TARGET VERDICT: one line of the results table.
ROWS=()
row() { ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s |' "$@")"); }
# verdict VALUE OP LIMIT -> pass or FAIL (OP is one of >= <= <)
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
  ok = (op == ">=") ? v >= l : (op == "<=") ? v <= l : v < l; print (v != "" && ok) ? "pass" : "FAIL" }'; }
# fmt NUMBER [DECIMALS]: with thousands separated by commas.
fmt() { LC_ALL=C printf "%.${2:-0}f" "$1" | sed ':a; s/^\([0-9]\+\)\([0-9]\{3\}\)/\1,\2/; ta'; }

cpu() { fmt "$1" 1; }
# wrk_script FILE MAIN NAME=VALUE...: a wrk script that sets the globals, then runs bench/wrk/MAIN.
wrk_script() {
  local file=$1 main=$2 kv
  shift 2
  : >"$file"
  for kv in "$@"; do
    if [[ ${kv#*=} =~ ^[0-9]+$ ]]; then echo "${kv%%=*} = ${kv#*=}"; else echo "${kv%%=*} = \"${kv#*=}\""; fi >>"$file"
  done
  echo "dofile(\"$ROOT/bench/wrk/$main\")" >>"$file"
}
# field NAME LINE: the value of NAME=VALUE in a line "result a=1 b=2".
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# config NAME: a discoveryd config with the limiter on and the client role's limits out of reach.
config() {
  cat >"$OUT/$1.json" <<JSON
{"rate_limits": {"enabled": true, "snapshot": "$OUT/$1.budgets",
  "client": {"rate": 1e9, "burst": 1e9, "distinct_per_day": 0}}}
JSON
  echo "$OUT/$1.json"
}

build() {
  need wrk nginx
  export CCACHE_BASEDIR=$ROOT  # relative paths in ccache keys, as scripts/setup.sh: clones share the cache
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >"$OUT/build.log"
  cmake --build "$BUILD" -j2 --target discoveryd discoveryctl import_floor delay_proxy lookup_latency \
    >>"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
}

# The data: the large set is generated once (ensure_rows); the smaller ones are its first rows.
small_data() {
  ensure_rows "$INDEX"
  ensure_rows "$SMALL"
  head -n "$WS" "bench/out/rows_$INDEX.ids" >"$OUT/ws.ids"
  ensure_index "$SMALL"
  ensure_index "$INDEX"
}

# nginx_start PORT: nginx serving $OUT/nginx/answer.json for every path, 2 workers, no access log.
nginx_start() {
  local dir=$OUT/nginx user=""
  [[ $(id -u) -eq 0 ]] && user="user root;"
  cat >"$dir/nginx.conf" <<CONF
$user
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types {}
  default_type application/json;
  keepalive_requests 1000000;
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$1;
    root $dir;
    location / { try_files /answer.json =404; }
  }
}
CONF
  nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" &
  pids+=($!)
  NGINX_PID=$!
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$1/" && break; sleep 0.1; done
  NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
}

PEAK_RSS=()
# Scenarios 1 and 2 on one server of the 1M index; its peak RSS is kept for scenario 5.
single_and_warm_batch() {
  local token port pid nport
  token=$(cat "bench/out/index_$INDEX.token")
  start "$BUILD/discoveryd" "bench/out/index_$INDEX.db" "$(config main)"
  port=$START_PORT pid=$START_PID
  mkdir -p "$OUT/nginx/tmp"
  curl -sf -o "$OUT/nginx/answer.json" -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/v1/lookup?id=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$(head -1 "$OUT/ws.ids")")&federate=false"
  say "the answer nginx serves ($(wc -c <"$OUT/nginx/answer.json") bytes): $(head -c 120 "$OUT/nginx/answer.json")..."
  nport=$(free_port)
  nginx_start "$nport"
  wrk_script "$OUT/lookup.lua" lookup.lua TOKEN="$token" WS="$OUT/ws.ids"
  rps "$port" "$pid" "$OUT/lookup.lua" >/dev/null  # warm-up: the working set's assertions
  rps "$nport" "$NGINX_WORKERS" "$OUT/lookup.lua" >/dev/null
  alternate ours "$port" "$pid" nginx "$nport" "$NGINX_WORKERS" "$OUT/lookup.lua"
  stop "$NGINX_PID"
  SINGLE=$ALT_A SINGLE_CPU=$ALT_CPU_A
  row "1. single lookups (GET, req/s)" "$(fmt "$ALT_A") ($(cpu "$ALT_CPU_A") µs CPU/req)" \
    "nginx, same answer as a static file: $(fmt "$ALT_B") ($(cpu "$ALT_CPU_B") µs CPU/req)" \
    "$(fmt "$ALT_RATIO" 3)" ">= 0.5" "$(verdict "$ALT_RATIO" ">=" 0.5)"
  row "1. single lookups, p99 latency (ms)" "$(fmt "$ALT_P99_A" 2)" "nginx: $(fmt "$ALT_P99_B" 2)" "—" "<= 5 ms" \
    "$(verdict "$ALT_P99_A" "<=" 5)"

  wrk_script "$OUT/warm.lua" batch.lua TOKEN="$token" IDS="$OUT/ws.ids" BATCH=$BATCH BODIES=300 MODE=warm THREADS=2
  # Fewer connections: 32 batches in flight would be 32,000 identifiers queued, over a second of
  # work, and a run of a few seconds would count mostly the queue; 4 keep both I/O threads busy.
  CONNS=$BATCH_CONNS rps "$port" "$pid" "$OUT/warm.lua" >/dev/null  # warm-up, untimed
  local i r c l rates=() cpus=()
  for ((i = 1; i <= RUNS; i++)); do
    read -r r c l < <(CONNS=$BATCH_CONNS rps "$port" "$pid" "$OUT/warm.lua")
    rates+=("$(echo "$r * $BATCH" | bc -l)") cpus+=("$(echo "$c / $BATCH" | bc -l)")
    printf 'run %d: %.0f identifiers/s (%.1f µs CPU per identifier, p99 %s ms)\n' "$i" "${rates[-1]}" \
      "${cpus[-1]}" "$l"
  done
  local ids_s
  ids_s=$(printf '%s\n' "${rates[@]}" | median)
  row "2. batch of $BATCH, warm working set (identifiers/s)" \
    "$(fmt "$ids_s") ($(cpu "$(printf '%s\n' "${cpus[@]}" | median)") µs CPU/identifier)" \
    "single lookups: $(fmt "$SINGLE") ($(cpu "$SINGLE_CPU") µs CPU/identifier)" \
    "$(fmt "$(echo "$ids_s / $SINGLE" | bc -l)" 2)" ">= 100,000 /s" \
    "$(verdict "$ids_s" ">=" 100000)"
  PEAK_RSS+=("$(peak_rss_mib "$pid")")
  say "peak RSS of the server of scenarios 1 and 2: ${PEAK_RSS[-1]} MiB"
  stop "$pid"
}

# Scenario 3: a fresh server each run, so every assertion is signed afresh.
cold_batch() {
  local token sign i r c l rates=() cpus=()
  token=$(cat "bench/out/index_$INDEX.token")
  sign=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/Ed25519/ {print $(NF-1)}')
  say "openssl speed ed25519, one core: $sign sign/s"
  wrk_script "$OUT/cold.lua" batch.lua TOKEN="$token" IDS="$ROOT/bench/out/rows_$INDEX.ids" BATCH=$BATCH \
    MODE=cold THREADS=2
  for ((i = 1; i <= RUNS; i++)); do
    start "$BUILD/discoveryd" "bench/out/index_$INDEX.db" "$(config "cold$i")"
    read -r r c l < <(CONNS=$BATCH_CONNS rps "$START_PORT" "$START_PID" "$OUT/cold.lua")
    rates+=("$(echo "$r * $BATCH" | bc -l)") cpus+=("$(echo "$c / $BATCH" | bc -l)")
    PEAK_RSS+=("$(peak_rss_mib "$START_PID")")
    stop "$START_PID"
    printf 'run %d: %.0f identifiers/s (%.1f µs CPU per identifier), peak RSS %s MiB\n' "$i" "${rates[-1]}" \
      "${cpus[-1]}" "${PEAK_RSS[-1]}"
  done
  local ids_s
  ids_s=$(printf '%s\n' "${rates[@]}" | median)
  local ratio
  ratio=$(echo "$ids_s / $sign" | bc -l)
  row "3. batch of $BATCH, cold: every assertion signed (identifiers/s)" \
    "$(fmt "$ids_s") ($(cpu "$(printf '%s\n' "${cpus[@]}" | median)") µs CPU/identifier)" \
    "openssl ed25519 sign/s, 1 core: $(fmt "$sign") ($(cpu "$(echo "1000000 / $sign" | bc -l)") µs CPU/signature)" \
    "$(fmt "$ratio" 3)" ">= 0.8" "$(verdict "$ratio" ">=" 0.8)"
}

peak_rss() {
  local peak
  peak=$(printf '%s\n' "${PEAK_RSS[@]}" | sort -g | tail -1)
  say "peak RSS of each server (MiB): ${PEAK_RSS[*]}"
  row "5. peak RSS (VmHWM) of discoveryd under scenarios 1-3 (MiB)" "$(fmt "$peak" 1)" "—" "—" "<= 300 MiB" \
    "$(verdict "$peak" "<=" 300)"
}

# Scenario 6: the same working set (the first 10,000 rows, in both indexes) on the large and the
# small index, side by side, alternating.
scale() {
  local port_l pid_l port_s pid_s
  start "$BUILD/discoveryd" "bench/out/index_$LARGE.db" "$(config large)"
  port_l=$START_PORT pid_l=$START_PID
  start "$BUILD/discoveryd" "bench/out/index_$SMALL.db" "$(config small)"
  port_s=$START_PORT pid_s=$START_PID
  wrk_script "$OUT/large.lua" lookup.lua TOKEN="$(cat "bench/out/index_$LARGE.token")" WS="$OUT/ws.ids"
  wrk_script "$OUT/small.lua" lookup.lua TOKEN="$(cat "bench/out/index_$SMALL.token")" WS="$OUT/ws.ids"
  rps "$port_l" "$pid_l" "$OUT/large.lua" >/dev/null  # warm-up of both
  rps "$port_s" "$pid_s" "$OUT/small.lua" >/dev/null
  alternate "index-$LARGE" "$port_l" "$pid_l" "index-$SMALL" "$port_s" "$pid_s" "$OUT/large.lua" "$OUT/small.lua"
  stop "$pid_l"
  stop "$pid_s"
  row "6. scale: single lookups on $(fmt "$LARGE") vs $(fmt "$SMALL") mappings (req/s)" \
    "$(fmt "$ALT_A") ($(cpu "$ALT_CPU_A") µs CPU/req)" "$(fmt "$ALT_B") ($(cpu "$ALT_CPU_B") µs CPU/req)" \
    "$(fmt "$ALT_RATIO" 3)" ">= 0.8" "$(verdict "$ALT_RATIO" ">=" 0.8)"
}

# Scenario 4: bench/import.sh, whose last line is "result ours_s=.. floor_s=.. ratio=..".
import_scenario() {
  local result ours_s floor_s ratio
  result=$(bench/import.sh "$INDEX" "$IMPORT_RUNS" | tee /dev/stderr | grep '^result ')
  ours_s=$(field ours_s "$result") floor_s=$(field floor_s "$result") ratio=$(field ratio "$result")
  row "4. import of $(fmt "$INDEX") rows (s)" "$(fmt "$ours_s" 2)" "sqlite3 + canonicalisation floor: $(fmt "$floor_s" 2)" \
    "$(fmt "$ratio" 3)" "<= 1.25" "$(verdict "$ratio" "<=" 1.25)"
}

# Scenario 7: bench/federation.sh, whose last line is "result local_ms=.. uncached_ms=.. cached_ms=..".
federation_scenario() {
  local result local_ms uncached_ms cached_ms r
  result=$(bench/federation.sh "$FED_N" 50 | tee /dev/stderr | grep '^result ')
  local_ms=$(field local_ms "$result") uncached_ms=$(field uncached_ms "$result")
  cached_ms=$(field cached_ms "$result")
  row "7. federated, uncached: 3 peers each 50 ms away (p50 ms)" "$(fmt "$uncached_ms" 1)" "one peer's delay: 50" \
    "$(fmt "$(echo "$uncached_ms / 50" | bc -l)" 2)" "< 60 ms" "$(verdict "$uncached_ms" "<" 60)"
  r=$(echo "$local_ms / $cached_ms" | bc -l)
  row "7. federated, cached (p50 ms); ratio = local / cached" "$(fmt "$cached_ms" 3)" "local (federate=false): $(fmt "$local_ms" 3)" \
    "$(fmt "$r" 3)" ">= 0.8" "$(verdict "$r" ">=" 0.8)"
}

# Scenario 8: bench/pg.sh, whose last line is "result batch_ratio=.. pg_ids_s=.. sqlite_ids_s=..
# import_ratio=.. ours_s=.. floor_s=..": PgStore beside SqliteStore and beside its import floor.
pg_scenario() {
  local result batch import
  result=$(bench/pg.sh "$INDEX" "$IMPORT_RUNS" | tee /dev/stderr | grep '^result ')
  batch=$(field batch_ratio "$result") import=$(field import_ratio "$result")
  row "8. PostgreSQL: batch of $BATCH, warm (identifiers/s)" "$(fmt "$(field pg_ids_s "$result")")" \
    "SqliteStore: $(fmt "$(field sqlite_ids_s "$result")")" "$(fmt "$batch" 3)" ">= 0.5" "$(verdict "$batch" ">=" 0.5)"
  row "8. PostgreSQL: import of $(fmt "$INDEX") rows (s)" "$(fmt "$(field ours_s "$result")" 2)" \
    "psql \\copy + canonicalisation floor: $(fmt "$(field floor_s "$result")" 2)" "$(fmt "$import" 3)" "<= 1.5" \
    "$(verdict "$import" "<=" 1.5)"
}

timed "build ($BUILD_TYPE, $BUILD/)" build
if [[ -s bench/out/rows_$LARGE.ok && -s bench/out/index_$LARGE.db.ok ]]; then
  say "the $(fmt "$LARGE")-row set ($(cat "bench/out/rows_$LARGE.ok")) and index ($(cat "bench/out/index_$LARGE.db.ok")) of an earlier run are there: reused if still whole"
fi
timed "data: generate $(fmt "$LARGE") rows" ensure_rows "$LARGE"
timed "data: the $(fmt "$INDEX") and $(fmt "$SMALL")-mapping indexes" small_data
timed "data: the $(fmt "$LARGE")-mapping index" ensure_index "$LARGE"
timed "scenarios 1-2: single lookups vs nginx, warm batches" single_and_warm_batch
timed "scenario 3: cold batches vs openssl" cold_batch
peak_rss
timed "scenario 6: scale" scale
timed "scenario 4: import" import_scenario
timed "scenario 7: federation" federation_scenario
timed "scenario 8: PostgreSQL" pg_scenario

ELAPSED=$(echo "$(now) - $T_START" | bc)
{
  echo "## Results ($(date -u +%F), $(nproc) cores, RUNS=$RUNS SECS=$SECS CONNS=$CONNS, commit $(git rev-parse --short HEAD))"
  echo
  echo "| scenario | ours | baseline | ratio | target | pass/fail |"
  echo "|---|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do echo "$r"; done | sort -s -t'|' -k2,2n
  echo
  echo "| phase | seconds |"
  echo "|---|---|"
  for p in "${PHASES[@]}"; do echo "$p"; done
  echo
  if [[ -s $ERRLOG ]]; then echo "warning: error answers or socket errors during wrk runs (see bench/out/run.log):"; sort "$ERRLOG" | uniq -c; echo; fi
  printf 'total elapsed: %.0f s (%.1f min)\n' "$ELAPSED" "$(echo "$ELAPSED / 60" | bc -l)"
} | tee "$ROOT/bench/out/results.md"
exec >&- 2>&-
wait "$TEE_PID"  # the log is whole when the command returns
