# Shared helpers of the wrk benchmarks (sourced): start a server, time it with wrk, medians.
# REQUIRES: $OUT (the benchmark's output folder), $SECS and $CONNS set by the sourcing script.

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
