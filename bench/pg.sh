#!/usr/bin/env bash
# PostgreSQL benchmark (issue 11): PgStore beside SqliteStore and beside its floor, in one run.
#   batch:  POST /v1/lookup with 1000 identifiers of a warm working set, discoveryd over PgStore
#           and discoveryd over SqliteStore on the same N rows, wrk runs alternating; the ratio
#           PgStore/SqliteStore of identifiers/s (target >= 0.5).
#   import: `discoveryctl import` of N JSON Lines rows into an empty PostgreSQL index against its
#           floor: psql \copy of the same canonical rows into a table with the mappings table's
#           columns and primary key, plus the bare canonicalisation of bench/import.sh (target
#           <= 1.5).
#   single: GET /v1/lookup of one identifier of the working set, 32 connections, PgStore beside
#           SqliteStore (no target: it shows what a network round trip per lookup costs).
#   nodes:  two discoveryd nodes on the same PostgreSQL and one Redis (rate_limits.redis), wrk on
#           both at once, beside one such node taking the whole load (no target: on one 2-core
#           machine two nodes cannot add capacity; the ratio shows what sharing costs).
# It starts its own PostgreSQL 15 (Debian's package) in a temporary folder on a free loopback
# port, as the postgres user when run as root, and stops it and removes the folder at the end.
# Prints each run, a table, and last a line "result batch_ratio=.. import_ratio=.. ..." for
# bench/run.sh. Usage: bench/pg.sh [N] [RUNS]   (env: BUILD, the build folder, default build;
# SECS=5 s a wrk run; BATCH_CONNS=4 connections for batches; SINGLE_CONNS=32 for single lookups)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
SECS=${SECS:-5} CONNS=${BATCH_CONNS:-4} BATCH=1000 WS=10000
ROOT=$PWD OUT=$PWD/bench/out/pg
source bench/lib.sh
need wrk postgresql redis-server redis-tools
cmake --build "$BUILD" --target discoveryd discoveryctl import_floor -j2 >/dev/null
rm -rf "$OUT"
mkdir -p "$OUT"
ensure_rows "$N"
now() { date +%s.%N; }

# --- a PostgreSQL of our own ---------------------------------------------------------------------
PGBIN=/usr/lib/postgresql/15/bin
PGDIR=$(mktemp -d)
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}
[[ $(id -u) -ne 0 ]] || chown postgres "$PGDIR"
PGPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_postgres "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres -E UTF8 --locale=C >/dev/null
# Durable defaults (fsync on) for both sides; checkpoints spaced so that a 1M-row load is timed
# without one landing in the middle of either side at random.
as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -w -l "$PGDIR/log" -o "-p $PGPORT -k $PGDIR \
  -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=8GB \
  -c checkpoint_timeout=30min" start >/dev/null
pg_stop() {
  cleanup
  as_postgres "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap pg_stop EXIT
uri() { echo "postgresql://postgres@127.0.0.1:$PGPORT/$1"; }
sql() { PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 -d "$(uri "${2:-postgres}")" -c "$1" >/dev/null; }
fresh_db() { sql "DROP DATABASE IF EXISTS $1" && sql "CREATE DATABASE $1"; }

# --- import: ours against \copy + canonicalisation --------------------------------------------
CORES=$(nproc)
ours=() copy=() canon=()
for ((i = 1; i <= RUNS; i++)); do
  fresh_db ours
  "$BUILD/discoveryctl" --db "$(uri ours)" init --issuer bench.example >/dev/null
  sql CHECKPOINT
  t0=$(now)
  "$BUILD/discoveryctl" --db "$(uri ours)" import "bench/out/rows_$N.jsonl" >"$OUT/import.out"
  t1=$(now)
  fresh_db floor
  sql 'CREATE TABLE m (identifier text COLLATE "C" NOT NULL, provider text COLLATE "C" NOT NULL,
    "user" text COLLATE "C" NOT NULL, tags text NOT NULL, keys text NOT NULL, updated_at bigint NOT NULL,
    expires_at bigint, revision bigint NOT NULL DEFAULT 1, PRIMARY KEY (identifier, provider, "user"))' floor
  sql CHECKPOINT
  t2=$(now)
  sql "\\copy m (identifier, provider, \"user\", tags, keys, updated_at) FROM 'bench/out/rows_$N.csv' WITH (FORMAT csv)" floor
  t3=$(now)
  c=$("$BUILD/import_floor" canon "bench/out/rows_$N.ids" "$CORES")
  o=$(echo "$t1 - $t0" | bc -l) p=$(echo "$t3 - $t2" | bc -l)
  ours+=("$o") copy+=("$p") canon+=("$c")
  printf 'import run %d: ours %.2f s (%s) | psql \\copy %.2f s + bare canonicalisation (%d threads) %.2f s\n' \
    "$i" "$o" "$(tail -1 "$OUT/import.out")" "$p" "$CORES" "$c"
done
mo=$(printf '%s\n' "${ours[@]}" | median)
mp=$(printf '%s\n' "${copy[@]}" | median)
mc=$(printf '%s\n' "${canon[@]}" | median)
floor=$(echo "$mp + $mc" | bc -l)
import_ratio=$(echo "$mo / $floor" | bc -l)
sql "DROP DATABASE floor"

# --- batch lookups: PgStore against SqliteStore on the same rows -------------------------------
ensure_index "$N"
head -n "$WS" "bench/out/rows_$N.ids" >"$OUT/ws.ids"
pg_token=$("$BUILD/discoveryctl" --db "$(uri ours)" token create --role client --name bench | tail -1)
sqlite_token=$(cat "bench/out/index_$N.token")
for side in pg sqlite; do
  cat >"$OUT/$side.json" <<JSON
{"rate_limits": {"enabled": true, "snapshot": "$OUT/$side.budgets",
  "client": {"rate": 1e9, "burst": 1e9, "distinct_per_day": 0}}}
JSON
  token_var=${side}_token
  cat >"$OUT/$side.lua" <<LUA
TOKEN = "${!token_var}"
IDS = "$OUT/ws.ids"
BATCH = $BATCH
BODIES = 300
MODE = "warm"
THREADS = 2
dofile("$ROOT/bench/wrk/batch.lua")
LUA
done
start "$BUILD/discoveryd" "$(uri ours)" "$OUT/pg.json"
pg_port=$START_PORT pg_pid=$START_PID
start "$BUILD/discoveryd" "bench/out/index_$N.db" "$OUT/sqlite.json"
sqlite_port=$START_PORT sqlite_pid=$START_PID
rps "$pg_port" "$pg_pid" "$OUT/pg.lua" >/dev/null  # warm-up, untimed: pool, caches, assertions
rps "$sqlite_port" "$sqlite_pid" "$OUT/sqlite.lua" >/dev/null
alternate pgstore "$pg_port" "$pg_pid" sqlitestore "$sqlite_port" "$sqlite_pid" "$OUT/pg.lua" "$OUT/sqlite.lua"
pg_ids=$(echo "$ALT_A * $BATCH" | bc -l) sqlite_ids=$(echo "$ALT_B * $BATCH" | bc -l) batch_ratio=$ALT_RATIO

# --- single lookups: PgStore against SqliteStore ------------------------------------------------
for side in pg sqlite; do
  token_var=${side}_token
  cat >"$OUT/$side-single.lua" <<LUA
TOKEN = "${!token_var}"
WS = "$OUT/ws.ids"
dofile("$ROOT/bench/wrk/lookup.lua")
LUA
done
CONNS=${SINGLE_CONNS:-32}
alternate pgstore "$pg_port" "$pg_pid" sqlitestore "$sqlite_port" "$sqlite_pid" "$OUT/pg-single.lua" "$OUT/sqlite-single.lua"
single_pg=$ALT_A single_sqlite=$ALT_B single_ratio=$ALT_RATIO
stop "$pg_pid"
stop "$sqlite_pid"

# --- two nodes beside one, on one PostgreSQL and one Redis --------------------------------------
REDIS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$OUT" \
  --logfile "$OUT/redis.log" &
pids+=("$!")
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" PING >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$REDIS_PORT" PING >/dev/null || { echo "redis-server did not start: $(cat "$OUT/redis.log")" >&2; exit 1; }
cat >"$OUT/node.json" <<JSON
{"rate_limits": {"enabled": true, "redis": "redis://127.0.0.1:$REDIS_PORT",
  "client": {"rate": 1e9, "burst": 1e9, "distinct_per_day": 0}}}
JSON
start "$BUILD/discoveryd" "$(uri ours)" "$OUT/node.json"
node1_port=$START_PORT node1_pid=$START_PID
cp "$OUT/node.json" "$OUT/node2.json"
start "$BUILD/discoveryd" "$(uri ours)" "$OUT/node2.json"
node2_port=$START_PORT node2_pid=$START_PID
# wrk_rps THREADS CONNECTIONS PORT: requests/s of single lookups; error answers go to stderr.
wrk_rps() {
  local out
  out=$(wrk -t"$1" -c"$2" -d"${SECS}s" --timeout 10s -s "$OUT/pg-single.lua" "http://127.0.0.1:$3")
  echo "$out" | grep -E 'Non-2xx|Socket errors' >&2 || true
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}
wrk_rps 2 "$CONNS" "$node1_port" >/dev/null  # warm-up of both, untimed
wrk_rps 2 "$CONNS" "$node2_port" >/dev/null
one=() two=() nodes_pair=()
for ((i = 1; i <= RUNS; i++)); do
  o=$(wrk_rps 2 "$CONNS" "$node1_port")
  wrk_rps 1 $((CONNS / 2)) "$node1_port" >"$OUT/two.a" &
  a_pid=$!
  b=$(wrk_rps 1 $((CONNS / 2)) "$node2_port")
  wait "$a_pid"
  t=$(echo "$(cat "$OUT/two.a") + $b" | bc -l)
  one+=("$o") two+=("$t") nodes_pair+=("$(echo "$t / $o" | bc -l)")
  printf 'nodes run %d: two nodes %.0f req/s (%s + %s) | one node %.0f req/s | ratio %.3f\n' \
    "$i" "$t" "$(cat "$OUT/two.a")" "$b" "$o" "${nodes_pair[-1]}"
done
stop "$node1_pid"
stop "$node2_pid"
two_nodes=$(printf '%s\n' "${two[@]}" | median) one_node=$(printf '%s\n' "${one[@]}" | median)
nodes_ratio=$(printf '%s\n' "${nodes_pair[@]}" | median)

verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? v >= l : v <= l; print ok ? "pass" : "FAIL" }'; }
echo
echo "| scenario ($N rows, median of $RUNS runs) | PgStore | baseline (same run) | ratio | target | verdict |"
echo "|---|---|---|---|---|---|"
printf '| batch of %d, warm (identifiers/s) | %.0f | SqliteStore: %.0f | %.3f | >= 0.5 | %s |\n' \
  "$BATCH" "$pg_ids" "$sqlite_ids" "$batch_ratio" "$(verdict "$batch_ratio" ">=" 0.5)"
printf '| import of %d rows (s) | %.2f | psql \\copy %.2f + canonicalisation %.2f = %.2f | %.3f | <= 1.5 | %s |\n' \
  "$N" "$mo" "$mp" "$mc" "$floor" "$import_ratio" "$(verdict "$import_ratio" "<=" 1.5)"
printf '| single lookups, %d connections (req/s) | %.0f | SqliteStore: %.0f | %.3f | none | info |\n' \
  "$CONNS" "$single_pg" "$single_sqlite" "$single_ratio"
printf '| two nodes on PgStore + Redis, single lookups (req/s) | %.0f | one such node: %.0f | %.3f | none | info |\n' \
  "$two_nodes" "$one_node" "$nodes_ratio"
printf 'result batch_ratio=%.3f pg_ids_s=%.0f sqlite_ids_s=%.0f import_ratio=%.3f ours_s=%.2f floor_s=%.2f single_ratio=%.3f nodes_ratio=%.3f\n' \
  "$batch_ratio" "$pg_ids" "$sqlite_ids" "$import_ratio" "$mo" "$floor" "$single_ratio" "$nodes_ratio"
