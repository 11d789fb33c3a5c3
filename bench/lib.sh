# shellcheck shell=bash
# Shared helpers of the benchmarks (sourced): install tools, make the data sets, start a server,
# time it with wrk, medians.
# REQUIRES: $OUT (the benchmark's output folder), $SECS, $CONNS and $RUNS set by the sourcing
# script before it calls start, rps or alternate. $BUILD is the build folder (default build/).
BUILD=${BUILD:-build}

# need PACKAGE...: installs the Debian packages that are missing. A service a package would start
# (nginx) is not started: the benchmarks run their own instances.
need() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "installing ${missing[*]}" >&2
  local sudo="" policy=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [[ -z $policy ]] || $sudo rm -f "$policy"
}

# Installs wrk when missing and builds the binaries the benchmarks run.
build_with_wrk() {
  need wrk
  cmake --build "$BUILD" --target discoveryd discoveryctl -j2 >/dev/null
}

# ensure_rows N: bench/out/rows_N.{jsonl,csv,ids} (import_floor generate, seed 42), made once and
# kept (rows_N.ok marks a complete set). The generator is deterministic, so the first N rows of a
# larger set are rows_N: they are cut from one when there is one.
ensure_rows() {
  local n=$1 prefix=bench/out/rows_$1 ok m ext
  [[ -s $prefix.ok ]] && return 0
  mkdir -p bench/out
  for ok in bench/out/rows_*.ok; do
    m=${ok#bench/out/rows_} m=${m%.ok}
    if [[ -s $ok ]] && ((m > n)); then
      for ext in jsonl csv ids; do head -n "$n" "bench/out/rows_$m.$ext" >"$prefix.$ext"; done
      echo "first $n rows of rows_$m" >"$prefix.ok"
      return 0
    fi
  done
  echo "generating $n rows..." >&2
  local t0=$SECONDS
  "$BUILD/import_floor" generate "$n" 42 "$prefix"
  echo "generated in $((SECONDS - t0)) s on $(date -u +%F)" >"$prefix.ok"
}

# index_revision DB: the index's revision, which every write of a mapping or an opt-out advances
# (meta 'revision'); empty when it cannot be read.
index_revision() { sqlite3 -readonly "$1" "SELECT value FROM meta WHERE key = 'revision'" 2>/dev/null || true; }

# ensure_index N: bench/out/index_N.db, rows_N imported by discoveryctl, made once and kept while
# its revision is the one recorded when it was made (an .ok of an older harness has none: then
# `discoveryctl stats` must count N mappings, which reads the whole index twice, minutes for
# 10,000,000 once the file has left the page cache, and the revision is recorded for the next
# run); bench/out/index_N.token holds a client token of it.
ensure_index() {
  local n=$1 db=bench/out/index_$1.db recorded
  if [[ -s $db.ok && -s bench/out/index_$n.token ]]; then
    recorded=$(sed -n 's/.*revision \([0-9]\+\).*/\1/p' "$db.ok")
    if [[ -n $recorded ]]; then
      [[ $(index_revision "$db") == "$recorded" ]] && return 0
    elif [[ $("$BUILD/discoveryctl" --db "$db" stats 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["mappings"])' 2>/dev/null) == "$n" ]]; then
      echo "$(cat "$db.ok"), revision $(index_revision "$db")" >"$db.ok.new" && mv "$db.ok.new" "$db.ok"
      return 0
    fi
  fi
  ensure_rows "$n"
  echo "importing $n rows into $db..." >&2
  local t0=$SECONDS
  rm -f "$db" "$db"-* "$db.ok"
  "$BUILD/discoveryctl" --db "$db" init --issuer bench.example >/dev/null
  "$BUILD/discoveryctl" --db "$db" import "bench/out/rows_$n.jsonl" >/dev/null
  "$BUILD/discoveryctl" --db "$db" token create --role client --name bench | tail -1 >"bench/out/index_$n.token"
  echo "imported in $((SECONDS - t0)) s on $(date -u +%F), revision $(index_revision "$db")" >"$db.ok"
}

pids=()
# lookup_index N: $OUT/index.db holding N email identifiers userI@bench.example, and
# $OUT/lookup.lua, a wrk script looking up random ones of 2N (half found, half not), so that a
# distinct budget grows as it would under enumeration (ratelimit.sh, redis_limits.sh).
lookup_index() {
  awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
    printf "{\"identifier\": \"user%d@bench.example\", \"provider\": \"chat.example\", \"user\": \"mimi://chat.example/u/%d\"}\n", i, i }' \
    >"$OUT/rows.jsonl"
  "$BUILD"/discoveryctl --db "$OUT/index.db" init --issuer bench.example >/dev/null
  "$BUILD"/discoveryctl --db "$OUT/index.db" import "$OUT/rows.jsonl" >/dev/null
  cat >"$OUT/lookup.lua" <<LUA
-- Random identifiers from 0 to 2N-1: half found, half not.
math.randomseed(os.time())
request = function()
  local i = math.random(0, $((2 * $1 - 1)))
  return wrk.format("GET", "/v1/lookup?id=user" .. i .. "%40bench.example&federate=false")
end
LUA
}

cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start BINARY DB CONFIG: starts discoveryd in the background (not in a subshell, so that
# cleanup and stop reach it) and sets START_PORT and START_PID; the pid also goes to CONFIG.pid.
start() {
  "$1" --db "$2" --listen 127.0.0.1:0 --config "$3" >"$3.out" 2>"$3.err" &
  START_PID=$!
  pids+=("$START_PID")
  echo "$START_PID" >"$3.pid"
  # Up to 2 minutes: an index made by an older build gets its first Matrix pepper at the first
  # start, hashing every identifier before the server listens.
  for _ in $(seq 1200); do
    if grep -q 'listening on' "$3.out"; then START_PORT=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$3.out"); return; fi
    sleep 0.1
  done
  echo "discoveryd did not start: $(cat "$3.err")" >&2
  exit 1
}

# stop PID: ends a server this script started and waits for it.
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# peak_rss_mib PID: the peak resident set (VmHWM) of a running process, in MiB.
peak_rss_mib() { awk '/^VmHWM/ {printf "%.1f\n", $2 / 1024}' "/proc/$1/status"; }

# cpu_ticks "PID...": user + system CPU ticks of the processes (nginx: its workers).
cpu_ticks() {
  local p t=0
  for p in $1; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
TICK=$(getconf CLK_TCK)

# rps PORT "PID..." LUA -> "requests/s cpu-µs-per-request p99-ms"; wrk -t2, $CONNS connections,
# $SECS seconds. Error answers or socket errors are reported on stderr (they would flatter the
# figure); lines the script prints that start with "bench:" go to stderr too. Both are also
# appended to the file $ERRLOG when it is set.
rps() {
  local t0 t1 out
  t0=$(cpu_ticks "$2")
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s --latency -s "$3" "http://127.0.0.1:$1")
  t1=$(cpu_ticks "$2")
  echo "$out" | grep -E 'Non-2xx|Socket errors|^bench:' | tee -a "${ERRLOG:-/dev/null}" >&2 || true
  echo "$out" | awk -v d=$((t1 - t0)) -v tick="$TICK" -v s="$SECS" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /m$/) return v * 60000; return v * 1000 }
    $1 == "99%" { p99 = ms($2) }
    /Requests\/sec/ { r = $2 }
    END { printf "%s %.1f %.3f\n", r, d / tick * 1e6 / (r * s), p99 }'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# alternate NAME_A PORT_A PID_A NAME_B PORT_B PID_B LUA [LUA_B]: $RUNS runs of wrk against A and
# B in alternating order (B with LUA_B when given, e.g. for another token); prints each run, the
# medians, the ratio A/B (of the medians and the median of the per-run ratios) and the median CPU
# time per request of each server. Sets ALT_A and ALT_B (median req/s), ALT_RATIO (median of the
# per-run ratios), ALT_P99_A and ALT_P99_B (median p99 latency, ms) and ALT_CPU_A and ALT_CPU_B
# (median CPU µs per request).
alternate() {
  local i a ca la b cb lb lua_b=${8:-$7}
  local -a ra=() rb=() pair=() cpua=() cpub=() p99a=() p99b=()
  for ((i = 1; i <= RUNS; i++)); do
    if ((i % 2)); then
      read -r a ca la < <(rps "$2" "$3" "$7"); read -r b cb lb < <(rps "$5" "$6" "$lua_b")
    else
      read -r b cb lb < <(rps "$5" "$6" "$lua_b"); read -r a ca la < <(rps "$2" "$3" "$7")
    fi
    ra+=("$a") rb+=("$b") pair+=("$(echo "$a / $b" | bc -l)") cpua+=("$ca") cpub+=("$cb")
    p99a+=("$la") p99b+=("$lb")
    printf 'run %d: %s %.0f req/s (%s µs CPU/req, p99 %s ms) | %s %.0f req/s (%s µs CPU/req, p99 %s ms) | ratio %.3f\n' \
      "$i" "$1" "$a" "$ca" "$la" "$4" "$b" "$cb" "$lb" "${pair[-1]}"
  done
  ALT_A=$(printf '%s\n' "${ra[@]}" | median) ALT_B=$(printf '%s\n' "${rb[@]}" | median)
  ALT_RATIO=$(printf '%s\n' "${pair[@]}" | median)
  ALT_P99_A=$(printf '%s\n' "${p99a[@]}" | median) ALT_P99_B=$(printf '%s\n' "${p99b[@]}" | median)
  printf 'median of %d runs (%d s, %d connections): %s %.0f req/s, %s %.0f req/s\n' \
    "$RUNS" "$SECS" "$CONNS" "$1" "$ALT_A" "$4" "$ALT_B"
  printf 'ratio %s/%s: %.3f; median of the per-run ratios %.3f\n' \
    "$1" "$4" "$(echo "$ALT_A / $ALT_B" | bc -l)" "$ALT_RATIO"
  ALT_CPU_A=$(printf '%s\n' "${cpua[@]}" | median) ALT_CPU_B=$(printf '%s\n' "${cpub[@]}" | median)
  printf 'median CPU per request: %s %.1f µs, %s %.1f µs\n' "$1" "$ALT_CPU_A" "$4" "$ALT_CPU_B"
}
