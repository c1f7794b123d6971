#!/usr/bin/env bash
# Builds sitewatch: build/ (release, -O2) and, with --sanitize, build-asan/
# (AddressSanitizer + UndefinedBehaviorSanitizer, what the tests run).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
if [ "${1:-}" = "--sanitize" ]; then
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSW_SANITIZE=ON >/dev/null
    cmake --build build-asan -j"$jobs"
fi
