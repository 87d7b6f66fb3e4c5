#!/usr/bin/env bash
# The main job on a built-in default: installs, builds, fits y = sin(x) with an aime::nn MLP
# trained by Adam (printing the loss falling), saves the weights as safetensors, and lists
# the checkpoint with `aime checkpoint info`. (Later issues replace this with the
# world-model demo.) Extra arguments go to fit_sine:
#   scripts/demo.sh --steps 3000 --seed 1
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build="${BUILD_DIR:-build}"
"$build/examples/fit_sine" --out "$build/fit_sine.safetensors" "$@"
"$build/apps/aime" checkpoint info "$build/fit_sine.safetensors"
