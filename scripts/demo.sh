#!/usr/bin/env bash
# The main job on a built-in default: installs, builds, then fits y = sin(x) with a
# 2-layer MLP written in aime's tensor API and prints the loss falling.
# (Later issues replace this with the world-model demo.)  Extra arguments go to fit_sine:
#   scripts/demo.sh --steps 3000 --seed 1
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
"${BUILD_DIR:-build}/examples/fit_sine" "$@"
