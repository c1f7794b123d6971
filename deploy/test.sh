#!/usr/bin/env bash
# The test command: install what is missing, build (with sanitizers), run
# every test (unit, integration over the real binaries, durability).
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh
deploy/build.sh --sanitize
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Hostile input: each libFuzzer target (tests/fuzz) for a bounded time over
# its seed corpus; a crash, leak or sanitizer report fails the run. New
# inputs go to a scratch corpus, never into the repository's.
if command -v clang >/dev/null; then
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSW_FUZZ=ON >/dev/null
    cmake --build build-fuzz --target fuzz -j2
    for t in fuzz_request fuzz_registry fuzz_chain fuzz_cli_args; do
        scratch=$(mktemp -d)
        status=0
        build-fuzz/tests/fuzz/$t -max_total_time="${FUZZ_SECONDS:-20}" -max_len=16384 -timeout=10 \
            -print_final_stats=1 -artifact_prefix="build-fuzz/$t-" "$scratch" "tests/fuzz/corpus/$t" \
            >"build-fuzz/$t.log" 2>&1 || status=$?
        rm -rf "$scratch"
        if [ "$status" != 0 ]; then
            tail -40 "build-fuzz/$t.log" >&2
            echo "fuzz: $t failed (log build-fuzz/$t.log, input build-fuzz/$t-*)" >&2
            exit 1
        fi
        echo "fuzz: $t ok, $(grep -o 'number_of_executed_units: *[0-9]*' "build-fuzz/$t.log" | grep -o '[0-9]*$') runs in ${FUZZ_SECONDS:-20} s"
    done
else
    echo "fuzz: clang not found (deploy/setup.sh installs it)" >&2
    exit 1
fi

# Every unit and integration test, last, so its summary closes the run.
ctest --test-dir build-asan --output-on-failure -j2 --timeout 900
