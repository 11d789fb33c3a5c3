# Shared helpers of the wrk benchmarks (sourced): start a server, time it with wrk, medians.
# REQUIRES: $OUT (the benchmark's output folder), $SECS, $CONNS and $RUNS set by the sourcing
# script before it calls start, rps or alternate.

# Installs wrk when missing and builds the binaries the benchmarks run.
build_with_wrk() {
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  cmake --build build --target discoveryd discoveryctl -j2 >/dev/null
}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start BINARY DB CONFIG -> prints the port; the pid goes to CONFIG.pid
start() {
  "$1" --db "$2" --listen 127.0.0.1:0 --config "$3" >"$3.out" 2>"$3.err" &
  pids+=($!)
  echo $! >"$3.pid"
  for _ in $(seq 100); do
    if grep -q 'listening on' "$3.out"; then sed -n 's/.*:\([0-9]*\)$/\1/p' "$3.out"; return; fi
    sleep 0.1
  done
  echo "discoveryd did not start: $(cat "$3.err")" >&2
  exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

# rps PORT PID LUA -> "requests/s cpu-µs-per-request"
rps() {
  local t0 t1 out
  t0=$(cpu_ticks "$2")
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$3" "http://127.0.0.1:$1")
  t1=$(cpu_ticks "$2")
  echo "$out" | awk -v d=$((t1 - t0)) -v tick="$TICK" -v s="$SECS" \
    '/Requests\/sec/ {printf "%s %.1f\n", $2, d / tick * 1e6 / ($2 * s)}'
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# alternate NAME_A PORT_A PID_A NAME_B PORT_B PID_B LUA: $RUNS runs of wrk against A and B in
# alternating order; prints each run, the medians, the ratio A/B (of the medians and the median
# of the per-run ratios) and the median CPU time per request of each server.
alternate() {
  local i a ca b cb
  local -a ra=() rb=() pair=() cpua=() cpub=()
  for ((i = 1; i <= RUNS; i++)); do
    if ((i % 2)); then
      read -r a ca < <(rps "$2" "$3" "$7"); read -r b cb < <(rps "$5" "$6" "$7")
    else
      read -r b cb < <(rps "$5" "$6" "$7"); read -r a ca < <(rps "$2" "$3" "$7")
    fi
    ra+=("$a") rb+=("$b") pair+=("$(echo "$a / $b" | bc -l)") cpua+=("$ca") cpub+=("$cb")
    printf 'run %d: %s %.0f req/s (%s µs CPU/req) | %s %.0f req/s (%s µs CPU/req) | ratio %.3f\n' \
      "$i" "$1" "$a" "$ca" "$4" "$b" "$cb" "${pair[-1]}"
  done
  local ma mb
  ma=$(printf '%s\n' "${ra[@]}" | median) mb=$(printf '%s\n' "${rb[@]}" | median)
  printf 'median of %d runs (%d s, %d connections): %s %.0f req/s, %s %.0f req/s\n' \
    "$RUNS" "$SECS" "$CONNS" "$1" "$ma" "$4" "$mb"
  printf 'ratio %s/%s: %.3f; median of the per-run ratios %.3f\n' \
    "$1" "$4" "$(echo "$ma / $mb" | bc -l)" "$(printf '%s\n' "${pair[@]}" | median)"
  printf 'median CPU per request: %s %.1f µs, %s %.1f µs\n' \
    "$1" "$(printf '%s\n' "${cpua[@]}" | median)" "$4" "$(printf '%s\n' "${cpub[@]}" | median)"
}
