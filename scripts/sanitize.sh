#!/usr/bin/env bash
# The CPU test suite under AddressSanitizer and UndefinedBehaviorSanitizer, in its own build
# folder (build-sanitize): no CUDA backend, no benchmarks, the libraries and programs at -O1
# with frame pointers and line tables (-g1: reports name their lines; full debug information
# made the instrumented files compile 30-40% slower), the test programs' own sources at -O0
# (instrumented GoogleTest code is most of this build's time at -O1: tests/CMakeLists.txt).
# Any sanitizer report fails the test that triggered it (UBSan does not recover; ASan aborts
# at the first error; leaks are reported at exit), and so does an
# allocation over 4 GiB (max_allocation_size_mb: no test needs one, and a loader that asks
# for one trusted a size it read). CI runs it after the main suite (.ci/run).
# Left out: the CUDA tests (label cuda: no backend here) and the learning-outcome tests
# (label long: minutes of training each under the sanitizers, through code the other
# tests run too), the tutorial's example programs (label example: 40-60 s of training each
# here, 200 s of the run's CPU time, through the filter, imagination, ELBO and AIME code
# that the unit tests run under the sanitizers too; the main suite runs them), and the
# install test (label install: its consumer project is built without the sanitizers, and
# could not link their instrumented libraries). The MPI tests
# run last, without the leak check (below). Environment: BUILD_DIR (build-sanitize), JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
INSTALL_ONLY=1 bash scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build-sanitize}
JOBS=${JOBS:-2}
# -Wno-uninitialized: GCC 12 at -O1 warns inside its own AVX-512 headers (avx512fintrin.h's
# _mm512_undefined_ps, through Eigen); the Release build keeps the warning for our code.
FLAGS="-O1 -g1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wno-uninitialized"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="$FLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DAIME_CUDA=OFF -DAIME_BUILD_BENCHMARKS=OFF -DAIME_MALLOC=system -DAIME_TEST_OPTIMIZE=-O0 \
  -DAIME_WERROR=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
# halt_on_error: the first report ends the process (a test failure); detect_leaks: LeakSanitizer at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=1:max_allocation_size_mb=4096}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Leaks inside third-party libraries, each with why: scripts/lsan.supp.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
ctest --test-dir "$BUILD_DIR" -j "$JOBS" --output-on-failure -LE "cuda|long|mpi|install|example"
# The MPI runs (label mpi) under ASan and UBSan, without the leak check: Open MPI's
# components, dlopen'ed by MPI_Init and unloaded by MPI_Finalize, leave allocations whose
# stacks LeakSanitizer can only print as "<unknown module>", which no suppression can name
# (Open MPI 4.1.4, Debian 12). Processes that never start MPI (every other test) keep it.
ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
  ctest --test-dir "$BUILD_DIR" -j 1 --output-on-failure -L mpi
