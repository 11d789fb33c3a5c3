#!/usr/bin/env bash
# Sets up (packages, build) and runs every test (docs/RELIABILITY.md):
#   1. the unit, CLI, end-to-end and load tests (build/, GCC);
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/, clang);
#   3. every fuzz target for FUZZ_SECONDS (default 30) on its seed corpus (the same build);
#   4. the concurrency tests under ThreadSanitizer (build-tsan/, GCC).
# Any failure stops the run with a non-zero exit; the time each phase took is printed at the end.
# MIMI_TEST_QUICK=1 runs step 1 only (a few minutes; for the edit-build-test loop; CI runs all).
set -euo pipefail
cd "$(dirname "$0")/.."

phases=()
phase_start=$SECONDS
phase_name=""
phase() {  # phase NAME: ends the phase running (its time is recorded), starts NAME
  if [[ -n $phase_name ]]; then phases+=("$(printf '%-42s %5d' "$phase_name" $((SECONDS - phase_start)))"); fi
  phase_name=$1
  phase_start=$SECONDS
  [[ -z $phase_name ]] || echo "== test.sh: $phase_name ($(date -u +%H:%M:%S))" >&2
}
summary() {
  local rc=$?
  [[ -z $phase_name ]] || phase ""
  echo "== test.sh: time per phase (phase, seconds)$( ((rc == 0)) || echo "; FAILED, exit $rc")" >&2
  printf '   %s\n' "${phases[@]}" >&2
  printf '   %-42s %5d\n' "total" "$SECONDS" >&2
}
trap summary EXIT

phase "setup: packages, build/ (GCC)"
scripts/setup.sh
phase "tests (build/)"
ctest --test-dir "${BUILD_DIR:-build}" -j2 --output-on-failure --timeout 600
if [[ ${MIMI_TEST_QUICK:-0} == 1 ]]; then
  echo "== test.sh: MIMI_TEST_QUICK=1: sanitizers and fuzzing skipped" >&2
  exit 0
fi
phase "build-asan/ (clang, ASan+UBSan, fuzzers)"
scripts/sanitize.sh asan-build
phase "tests under ASan+UBSan"
scripts/sanitize.sh asan-run
phase "fuzzing, ${FUZZ_SECONDS:-30} s per target"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
phase "build-tsan/ (GCC, TSan)"
scripts/sanitize.sh tsan-build
phase "concurrency tests under TSan"
scripts/sanitize.sh tsan-run
phase ""
echo "== test.sh: every test passed" >&2
