#!/usr/bin/env bash
# The test suite under sanitizers (run by scripts/test.sh; CI): every test under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the concurrency-heavy tests (server, federation, limiter, worker
# pool, imports during reads, load) under ThreadSanitizer. Any report fails the run.
# Usage: scripts/sanitize.sh [asan|tsan]...   (default: both; env JOBS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD"
JOBS=${JOBS:-2}
# The tests ThreadSanitizer runs: every test whose name says it is about threads, servers or peers.
TSAN_TESTS='server|federation|federated|limiter|worker|concurren|import|load|slow|peer|drain|SIGTERM|cache|threads|pool'

build() {  # build DIR SANITIZERS
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIMI_SANITIZE="$2" >/dev/null
  cmake --build "$1" -j"$JOBS" >/dev/null
}

run_asan() {
  build build-asan address,undefined
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j"$JOBS" --output-on-failure --timeout 900
}

run_tsan() {
  build build-tsan thread
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp" \
    ctest --test-dir build-tsan -j"$JOBS" --output-on-failure --timeout 900 -R "$TSAN_TESTS"
}

for what in "${@:-asan tsan}"; do
  for w in $what; do
    case "$w" in
      asan) echo "sanitize: AddressSanitizer + UndefinedBehaviorSanitizer, every test" >&2; run_asan ;;
      tsan) echo "sanitize: ThreadSanitizer, the concurrency tests" >&2; run_tsan ;;
      *) echo "usage: scripts/sanitize.sh [asan|tsan]..." >&2; exit 2 ;;
    esac
  done
done
