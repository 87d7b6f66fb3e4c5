#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (GoogleTest through CTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" -j "${JOBS:-2}" --output-on-failure
