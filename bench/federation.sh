#!/usr/bin/env bash
# Federation latency benchmark (issue 4). One DP (dp0) federates with three real discoveryd peers,
# each behind bench/delay_proxy adding DELAY ms (default 50) per request. In the same run it
# measures median latency of, on dp0 over keep-alive:
#   local    federate=false lookups                         (the baseline)
#   uncached federated lookups of identifiers never asked   (expect ~DELAY, not 3 x DELAY)
#   cached   federated lookups of one identifier, warm      (expect ~local)
# local and cached by turns, request by request, on one connection (N of each a round).
# and prints the medians and the ratios to the local baseline, and last a line
# "result local_ms=.. uncached_ms=.. cached_ms=.." for bench/run.sh.
# Usage: bench/federation.sh [N lookups per mode, default 200] [DELAY ms, default 50]
# (env: BUILD, the build folder, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
DELAY=${2:-50}
BUILD=${BUILD:-build}
cmake --build "$BUILD" --target discoveryd discoveryctl delay_proxy lookup_latency -j2 >/dev/null
OUT=$(mktemp -d)
# start runs in a command substitution (a subshell), so each program's pid goes to a file.
cleanup() { for f in "$OUT"/*.pid; do if [[ -e $f ]]; then kill "$(cat "$f")" 2>/dev/null || true; fi; done; rm -rf "$OUT"; }
trap cleanup EXIT

ctl() { local db=$1; shift; "$BUILD/discoveryctl" --db "$db" "$@"; }
# Starts a program in the background whose first stdout line is "listening on URL"; echoes URL.
start() {
  local log=$1; shift
  : >"$log"  # exists before the background program opens it, for the grep below
  "$@" >"$log" 2>"$log.err" &
  echo $! >"$log.pid"
  for _ in $(seq 100); do
    if grep -q '^listening on ' "$log"; then sed -n 's/^listening on //p' "$log" | head -1; return; fi
    sleep 0.05
  done
  echo "did not start: $*" >&2; cat "$log.err" >&2; exit 1
}

# dp0 asks its peers without a token, so they see it as anonymous: lift that role's limits too,
# or the rate limiter (issue 5) would answer the peers' share of the benchmark with 429.
cat >"$OUT/config.json" <<JSON
{"rate_limits": {"client": {"rate": 100000, "burst": 100000, "distinct_per_day": 0},
                 "anonymous": {"rate": 100000, "burst": 100000, "distinct_per_day": 0}}}
JSON
# Every DP holds mappings for +14155550000..0999 at its own provider.
for i in 0 1 2 3; do
  db=$OUT/dp$i.db
  ctl "$db" init --issuer "dp$i.example" >/dev/null
  for n in $(seq 0 999); do
    printf '{"identifier": "+1415555%04d", "provider": "chat%d.example", "user": "mimi://chat%d.example/u/%d"}\n' "$n" "$i" "$i" "$n"
  done >"$OUT/dp$i.jsonl"
  ctl "$db" import "$OUT/dp$i.jsonl" >/dev/null
done
for i in 1 2 3; do
  url=$(start "$OUT/dp$i.log" "$BUILD/discoveryd" --db "$OUT/dp$i.db" --listen 127.0.0.1:0 --config "$OUT/config.json")
  proxy=$(start "$OUT/proxy$i.log" "$BUILD/delay_proxy" "$url" "$DELAY")
  key=$(ctl "$OUT/dp$i.db" key show | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["x"])')
  ctl "$OUT/dp0.db" peer add --domain "dp$i.example" --url "$proxy" --key "$key" >/dev/null
done
TOKEN=$(ctl "$OUT/dp0.db" token create --role client | tail -1)
DP0=$(start "$OUT/dp0.log" "$BUILD/discoveryd" --db "$OUT/dp0.db" --listen 127.0.0.1:0 --config "$OUT/config.json")

run() { "$BUILD/lookup_latency" "$DP0" "$TOKEN" "$@" | sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p'; }
# Interleaved rounds so that machine noise hits every mode alike; the medians of the rounds.
local_ms=() uncached_ms=() cached_ms=()
ROUNDS=3
for r in $(seq 0 $((ROUNDS - 1))); do
  # Local and cached by turns on one connection (lookup_latency's alternate mode): sequential
  # requests see wake-up latencies that differ by 2x from one connection to the next.
  both=$("$BUILD/lookup_latency" "$DP0" "$TOKEN" alternate $((2 * N)) 7)
  local_ms+=("$(sed -n 's/.*local_median_ms=\([0-9.]*\).*/\1/p' <<<"$both")")
  cached_ms+=("$(sed -n 's/.*cached_median_ms=\([0-9.]*\).*/\1/p' <<<"$both")")
  uncached_ms+=("$(run distinct "$N" $((r * N)))")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
L=$(median "${local_ms[@]}"); U=$(median "${uncached_ms[@]}"); C=$(median "${cached_ms[@]}")
echo "federation benchmark: 3 peers, +${DELAY} ms each, ${N} sequential lookups x ${ROUNDS} rounds"
printf '%-34s %10s %10s\n' "mode" "median ms" "x local"
printf '%-34s %10.3f %10.2f\n' "local (federate=false, baseline)" "$L" 1
printf '%-34s %10.3f %10.2f\n' "federated, uncached" "$U" "$(echo "$U / $L" | bc -l)"
printf '%-34s %10.3f %10.2f\n' "federated, cached" "$C" "$(echo "$C / $L" | bc -l)"
printf 'uncached / one peer delay: %.2f (1.00 = fully parallel, 3.00 = serial)\n' "$(echo "$U / $DELAY" | bc -l)"
printf 'result local_ms=%s uncached_ms=%s cached_ms=%s\n' "$L" "$U" "$C"
