#!/usr/bin/env bash
# Sets up (packages, build) and runs every test: unit, CLI end-to-end and server integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" -j2 --output-on-failure --timeout 600
