#!/usr/bin/env bash
# The test suite under sanitizers (run by scripts/test.sh, so by CI): every test under
# AddressSanitizer + UndefinedBehaviorSanitizer, and the concurrency-heavy tests (server,
# federation, limiters, worker pool, imports during reads, PgStore's pool, load) under
# ThreadSanitizer. Any report fails the run, also one from a discoveryd or discoveryctl that a test
# started (each report goes to a file under <build>/sanitizer-reports/, checked after ctest).
# docs/RELIABILITY.md, "Sanitizers".
# The ASan build is clang's with MIMI_FUZZ=ON in build-asan/: every object has the sanitizers and
# libFuzzer's coverage hooks, so the same build also holds the fuzz targets that scripts/fuzz.sh
# runs (one sanitizer build instead of two). ThreadSanitizer is GCC's, in build-tsan/. Both are
# Debug builds at -O1 (scripts/sanitizer_builds.sh).
# Usage: scripts/sanitize.sh [asan|tsan|asan-build|asan-run|tsan-build|tsan-run]...
#   (default: asan tsan, each built then run; env JOBS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/sanitizer_builds.sh
JOBS=${JOBS:-2}
# The tests ThreadSanitizer runs: every test whose name says it is about threads, servers, peers,
# the rate limiters (in process and in Redis), PostgreSQL (PgStore's connection pool, and nodes
# sharing one index: "PostgreSQL:" and "several nodes:") or private lookups (the refresh thread,
# the refresh lease, the routes on a real discoveryd).
TSAN_TESTS='server|federation|federated|limiter|Limiter|ratelimit|shared limits|trusted_proxies|worker|concurren|import|load|slow|peer|drain|SIGTERM|cache|threads|pool|PgStore:|PostgreSQL:|several nodes|private'

# run_ctest BUILD-DIR asan|tsan CTEST-ARGS...: ctest with every sanitizer report written to a file
# (so that one from a server a test started is seen too); fails when a test fails or any process
# left a report.
run_ctest() {
  local dir=$1 kind=$2 reports=$PWD/$1/sanitizer-reports rc=0
  shift 2
  rm -rf "$reports" && mkdir -p "$reports"
  local log="log_path=$reports/report"
  if [[ $kind == asan ]]; then
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:$log"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:$log"
  else
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp:$log"
  fi
  ctest --test-dir "$dir" -j"$JOBS" --output-on-failure --timeout 900 "$@" || rc=$?
  if compgen -G "$reports/report.*" >/dev/null; then
    for f in "$reports"/report.*; do
      echo "== sanitizer report $f" >&2
      cat "$f" >&2
    done
    echo "sanitize: a process under test reported an error (above)" >&2
    rc=1
  fi
  return "$rc"
}

for what in "${@:-asan tsan}"; do
  for w in $what; do
    case "$w" in
      asan-build) echo "sanitize: building build-asan/ (clang, ASan + UBSan, fuzz targets)" >&2
                  build_asan build-asan all ;;
      asan-run) echo "sanitize: AddressSanitizer + UndefinedBehaviorSanitizer, every test" >&2
                run_ctest build-asan asan ;;
      tsan-build) echo "sanitize: building build-tsan/ (GCC, TSan)" >&2
                  build_tsan build-tsan ;;
      tsan-run) echo "sanitize: ThreadSanitizer, the concurrency tests" >&2
                run_ctest build-tsan tsan -R "$TSAN_TESTS" ;;
      asan) "$0" asan-build asan-run ;;
      tsan) "$0" tsan-build tsan-run ;;
      *) echo "usage: scripts/sanitize.sh [asan|tsan|asan-build|asan-run|tsan-build|tsan-run]..." >&2; exit 2 ;;
    esac
  done
done
