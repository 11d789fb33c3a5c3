#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz.cmake) in build-asan/ with clang and the sanitizers, then
# runs each for SECONDS (default 60) on a copy of its seed corpus, fuzz/corpus/<target>/ (the repo's
# corpus is never written). Fails when any target crashes, leaks, times out (10 s for one input) or
# passes 2 GB: libFuzzer's exit code. docs/RELIABILITY.md, "Fuzzing".
# Usage: scripts/fuzz.sh [SECONDS]
#   FUZZ_TARGETS="fuzz_query fuzz_identifier"  only these targets (default: all)
#   FUZZ_OUT=DIR     where the corpus copies, logs and crash files go (default: a fresh temp dir,
#                    removed when every target passed)
#   FUZZ_BUILD_DIR   (default build-asan, the build scripts/sanitize.sh asan makes), JOBS (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${1:-60}
ALL_TARGETS="fuzz_identifier fuzz_query fuzz_request_body fuzz_import_line fuzz_peer_answer fuzz_http_request"
read -r -a TARGETS <<<"${FUZZ_TARGETS:-$ALL_TARGETS}"
BUILD_DIR=${FUZZ_BUILD_DIR:-build-asan}

# The same configuration as scripts/sanitize.sh asan, so that either reuses the other's objects.
source scripts/sanitizer_builds.sh
build_asan "$BUILD_DIR" fuzz

OUT=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/mimi-fuzz.XXXXXX")}
mkdir -p "$OUT"
# The service targets' SQLite index goes here too, so a crashed run leaves nothing elsewhere.
export TMPDIR="$OUT"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=()
for t in "${TARGETS[@]}"; do
  corpus="$OUT/$t/corpus"
  rm -rf "$OUT/$t"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$t"/* "$corpus"/
  log="$OUT/$t.log"
  echo "fuzz: $t for ${SECONDS_EACH}s (log: $log)" >&2
  # The Service's access lines (rid=... method=...) are dropped from the log: one per input.
  set +e
  "$BUILD_DIR/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/$t/" "$corpus" 2>&1 | grep -av '^rid=[0-9a-f]* method=' >"$log"
  rc=${PIPESTATUS[0]}
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if ((rc != 0)); then
    failed+=("$t")
    echo "fuzz: $t FAILED (exit $rc) after ${runs:-?} runs; the input is in $OUT/$t/:" >&2
    ls "$OUT/$t" | grep -v '^corpus$' >&2 || true
    tail -n 60 "$log" >&2
  else
    echo "fuzz: $t ok: ${runs:-?} runs, corpus $(ls "$corpus" | wc -l) inputs" >&2
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (logs and inputs in $OUT)" >&2
  exit 1
fi
[[ -n ${FUZZ_OUT:-} ]] || rm -rf "$OUT"
echo "fuzz: every target passed" >&2
