#!/usr/bin/env bash
# Import benchmark (issue 2): `discoveryctl import` of N JSON Lines rows (mostly phone numbers)
# against the machine's floor for that work, measured in the same run:
#   floor = the sqlite3 shell importing the same rows (canonical) into a plain indexed table
#         + canonicalising the same identifiers with bare libphonenumber/libidn2 calls on all cores.
# Prints each run, the medians and the ratio ours/floor, and last a line
# "result ours_s=.. floor_s=.. ratio=.." for bench/run.sh. Usage: bench/import.sh [N] [RUNS]
# (env: BUILD, the build folder, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
source bench/lib.sh
command -v sqlite3 >/dev/null || scripts/setup.sh
cmake --build "$BUILD" --target discoveryctl import_floor -j2 >/dev/null
OUT=bench/out
ensure_rows "$N"
CORES=$(nproc)

now() { date +%s.%N; }

ours=() sqlite=() canon=()
for ((i = 1; i <= RUNS; i++)); do
  rm -f "$OUT"/ours.db* "$OUT"/floor.db*
  "$BUILD/discoveryctl" --db "$OUT/ours.db" init --issuer bench.example >/dev/null
  t0=$(now)
  "$BUILD/discoveryctl" --db "$OUT/ours.db" import "$OUT/rows_$N.jsonl" >/dev/null
  t1=$(now)
  sqlite3 "$OUT/floor.db" "PRAGMA journal_mode=WAL;" \
    "CREATE TABLE m (identifier TEXT, provider TEXT, user TEXT, tags TEXT, keys TEXT, updated_at INTEGER);" \
    "CREATE UNIQUE INDEX m_by_identifier ON m (identifier, provider, user);" \
    ".import --csv $OUT/rows_$N.csv m" >/dev/null
  t2=$(now)
  c=$("$BUILD/import_floor" canon "$OUT/rows_$N.ids" "$CORES")
  o=$(echo "$t1 - $t0" | bc -l) s=$(echo "$t2 - $t1" | bc -l)
  ours+=("$o") sqlite+=("$s") canon+=("$c")
  printf 'run %d: ours %.2f s | sqlite3 shell %.2f s + bare canonicalisation (%d threads) %.2f s\n' "$i" "$o" "$s" "$CORES" "$c"
done
mo=$(printf '%s\n' "${ours[@]}" | median)
ms=$(printf '%s\n' "${sqlite[@]}" | median)
mc=$(printf '%s\n' "${canon[@]}" | median)
floor=$(echo "$ms + $mc" | bc -l)
printf 'median of %d runs, %d rows: ours %.2f s (%.0f rows/s); floor %.2f s (sqlite3 %.2f + canonicalisation %.2f)\n' \
  "$RUNS" "$N" "$mo" "$(echo "$N / $mo" | bc -l)" "$floor" "$ms" "$mc"
printf 'ratio ours/floor: %.2f (acceptance: <= 1.25)\n' "$(echo "$mo / $floor" | bc -l)"
printf 'result ours_s=%.2f floor_s=%.2f ratio=%.3f\n' "$mo" "$floor" "$(echo "$mo / $floor" | bc -l)"
rm -f "$OUT"/ours.db* "$OUT"/floor.db*
