#!/usr/bin/env bash
# Private lookups (issue 13, DESIGN.md §12):
#   1. BlindEvaluate throughput (batches of 256 with the batch DLEQ proof) on every core against
#      the machine's bare libsodium crypto_scalarmult_ristretto255 rate on as many threads,
#      alternating RUNS times (bench/oprf_throughput.cpp);
#   2. `discoveryctl private rotate` of an index of N identifiers (default 1,000,000; a copy of
#      bench/out/index_N.db), which seals every identifier on every core;
#   3. a private lookup of LOOKUPS contacts (default 1,000, spread over the index) end to end,
#      `mimi-lookup --private --json` against discoveryd on that index (limiter off), wall time,
#      against the baseline: one POST /v1/lookup of the same identifiers (curl, federate false)
#      plus the client's own OPRF work for them (Blind and Finalize, `oprf_throughput client`);
#      medians of RUNS alternating runs; target ours <= 2 x baseline. For reference it also times
#      `mimi-lookup` without --private (the same process and verification, a /v1 batch) and the
#      client's VerifyProof.
# Ends with "result ..." lines. Usage: bench/private.sh [N] [RUNS] (env: BUILD, default build;
# LOOKUPS, default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-5}
LOOKUPS=${LOOKUPS:-1000}
source bench/lib.sh
cmake --build "$BUILD" --target discoveryctl discoveryd mimi-lookup import_floor oprf_throughput -j2 >/dev/null
CORES=$(nproc)
OUT=bench/out/private
mkdir -p "$OUT"
((N >= LOOKUPS)) || { echo "N ($N) must be at least LOOKUPS ($LOOKUPS)" >&2; exit 2; }

echo "== BlindEvaluate vs bare crypto_scalarmult_ristretto255, $CORES threads, $RUNS alternating runs of 3 s"
"$BUILD/oprf_throughput" "$CORES" 3 "$RUNS" | tee bench/out/private_throughput.txt

echo "== discoveryctl private rotate of $N identifiers"
ensure_index "$N"
DB=bench/out/private_$N.db
cp "bench/out/index_$N.db" "$DB"
rm -f "$DB"-*
t0=$(date +%s.%N)
"$BUILD/discoveryctl" --db "$DB" private rotate
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc -l)
build_result=$(printf 'result build_s=%.1f identifiers=%d cores=%d (acceptance: < 90 s on 2 cores)' "$secs" "$N" "$CORES")
echo "$build_result"

echo "== a private lookup of $LOOKUPS contacts end to end, $RUNS alternating runs"
echo '{"rate_limits": {"enabled": false}}' >"$OUT/config.json"
start "$BUILD/discoveryd" "$DB" "$OUT/config.json"
URL=http://127.0.0.1:$START_PORT
# Contacts spread over the index, raw as an address book holds them ("+1 (415) 555-0100").
awk -v step=$((N / LOOKUPS)) 'NR % step == 0' "bench/out/rows_$N.ids" | head -n "$LOOKUPS" >"$OUT/contacts.txt"
mapfile -t CONTACTS <"$OUT/contacts.txt"
python3 -c 'import json, sys; print(json.dumps({"identifiers": [l.rstrip("\n") for l in open(sys.argv[1])], "federate": False}))' \
  "$OUT/contacts.txt" >"$OUT/batch.json"

# ms COMMAND...: runs it, prints its wall time in ms.
ms() {
  local t0=$EPOCHREALTIME
  "$@" || { echo "failed: $1" >&2; return 1; }
  echo "($EPOCHREALTIME - $t0) * 1000" | bc -l
}
private_lookup() { "$BUILD/mimi-lookup" --server "$URL" --private --json "${CONTACTS[@]}" >"$OUT/private.json"; }
plain_lookup() { "$BUILD/mimi-lookup" --server "$URL" --json "${CONTACTS[@]}" >"$OUT/plain.json"; }
v1_batch() {
  curl -sf -o "$OUT/batch_answer.json" -H 'Content-Type: application/json' --data-binary @"$OUT/batch.json" "$URL/v1/lookup"
}
found() {
  python3 -c 'import json, sys; print(sum(1 for r in json.load(open(sys.argv[1]))["results"] if r.get("status") == "found"))' "$1"
}

pr=() ba=() pl=()
for ((i = 1; i <= RUNS; i++)); do
  if ((i % 2)); then
    p=$(ms private_lookup); b=$(ms v1_batch); l=$(ms plain_lookup)
  else
    l=$(ms plain_lookup); b=$(ms v1_batch); p=$(ms private_lookup)
  fi
  pr+=("$p") ba+=("$b") pl+=("$l")
  printf 'run %d: mimi-lookup --private %.1f ms | POST /v1/lookup (curl) %.1f ms | mimi-lookup without --private %.1f ms\n' \
    "$i" "$p" "$b" "$l"
done
fp=$(found "$OUT/private.json") fb=$(found "$OUT/batch_answer.json") fl=$(found "$OUT/plain.json")
echo "found: $fp of $LOOKUPS privately, $fb by the /v1 batch, $fl by mimi-lookup without --private"
[[ $fp == "$fb" && $fp == "$fl" ]] || { echo "the private lookup found another count than the /v1 batch" >&2; exit 1; }
stop "$START_PID"

"$BUILD/oprf_throughput" client "$LOOKUPS" "$RUNS" | tee "$OUT/client_oprf.txt"
read -r blind verify finalize < <(sed -n 's/^result client .*blind_ms=\([0-9.]*\) verify_ms=\([0-9.]*\) finalize_ms=\([0-9.]*\).*/\1 \2 \3/p' "$OUT/client_oprf.txt")
mp=$(printf '%s\n' "${pr[@]}" | median) mb=$(printf '%s\n' "${ba[@]}" | median) ml=$(printf '%s\n' "${pl[@]}" | median)
client=$(echo "$blind + $finalize" | bc -l)
baseline=$(echo "$mb + $client" | bc -l)
printf 'medians of %d runs: mimi-lookup --private %.1f ms; baseline %.1f ms = POST /v1/lookup %.1f ms + Blind and Finalize of %d %.1f ms (VerifyProof, not in the baseline: %.1f ms); mimi-lookup without --private %.1f ms\n' \
  "$RUNS" "$mp" "$baseline" "$mb" "$LOOKUPS" "$client" "$verify" "$ml"
printf 'result e2e_private_ms=%.1f baseline_ms=%.1f v1_batch_ms=%.1f client_oprf_ms=%.1f ratio=%.2f plain_mimi_lookup_ms=%.1f lookups=%d (target: ratio <= 2)\n' \
  "$mp" "$baseline" "$mb" "$client" "$(echo "$mp / $baseline" | bc -l)" "$ml" "$LOOKUPS"
echo "$build_result"
grep '^result' bench/out/private_throughput.txt
rm -f "$DB" "$DB"-*
