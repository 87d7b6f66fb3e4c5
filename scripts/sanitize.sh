#!/usr/bin/env bash
# The CPU test suite under AddressSanitizer and UndefinedBehaviorSanitizer, in its own build
# folder (build-sanitize): no CUDA backend, no benchmarks, -O1 with frame pointers so reports
# name their lines. Any sanitizer report fails the test that triggered it (UBSan does not
# recover; ASan aborts at the first error; leaks are reported at exit). CI runs it after the
# main suite (.ci/run). Environment: BUILD_DIR (build-sanitize), JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-sanitize}
JOBS=${JOBS:-2}
FLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="$FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DAIME_CUDA=OFF -DAIME_BUILD_BENCHMARKS=OFF \
  -DAIME_WERROR=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
# halt_on_error: the first report ends the process (a test failure); detect_leaks: LeakSanitizer at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$BUILD_DIR" -j "$JOBS" --output-on-failure -LE cuda
