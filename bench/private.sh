#!/usr/bin/env bash
# Private lookups (issue 13, DESIGN.md §12):
#   1. BlindEvaluate throughput (batches of 256 with the batch DLEQ proof) on every core against
#      the machine's bare libsodium crypto_scalarmult_ristretto255 rate on as many threads,
#      alternating RUNS times (bench/oprf_throughput.cpp);
#   2. `discoveryctl private rotate` of an index of N identifiers (default 1,000,000; a copy of
#      bench/out/index_N.db), which seals every identifier on every core.
# Ends with "result ..." lines. Usage: bench/private.sh [N] [RUNS] (env: BUILD, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-5}
source bench/lib.sh
cmake --build "$BUILD" --target discoveryctl import_floor oprf_throughput -j2 >/dev/null
CORES=$(nproc)
mkdir -p bench/out

echo "== BlindEvaluate vs bare crypto_scalarmult_ristretto255, $CORES threads, $RUNS alternating runs of 3 s"
"$BUILD/oprf_throughput" "$CORES" 3 "$RUNS" | tee bench/out/private_throughput.txt

echo "== discoveryctl private rotate of $N identifiers"
ensure_index "$N"
cp bench/out/index_$N.db bench/out/private_$N.db
rm -f bench/out/private_$N.db-*
t0=$(date +%s.%N)
"$BUILD/discoveryctl" --db "bench/out/private_$N.db" private rotate
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc -l)
printf 'result build_s=%.1f identifiers=%d cores=%d (acceptance: < 90 s on 2 cores)\n' "$secs" "$N" "$CORES"
grep '^result' bench/out/private_throughput.txt
rm -f bench/out/private_$N.db*
