#!/usr/bin/env bash
# The test command: install what is missing, build (with sanitizers), run
# every test (unit, integration over the real binaries, durability).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh
deploy/build.sh --sanitize
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build-asan --output-on-failure -j2 --timeout 900
