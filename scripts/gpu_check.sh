#!/usr/bin/env bash
# Everything the CUDA backend needs checked on a machine with a GPU, in one go (one call of
# a lent GPU machine): builds with the CUDA backend for this GPU's architecture only (fast),
# runs the CUDA tests (ctest -L cuda) and then the whole suite, cuda_bench, and the
# training-step benchmark on the GPU and the CPU. Writes everything under OUT (default
# gpu-check/): ctest logs, cuda_bench.md, train_step.jsonl, and a summary on stdout.
#   bash scripts/gpu_check.sh            # ARCH=90 for an H100/H200; ARCH=80 for an A100
# A GPU machine without network access cannot apt-get: download the packages on a machine
# that can (apt-get download <the PACKAGES below and their -dev dependencies>) into a folder,
# bring it along, and point DEBS at it; they are installed with dpkg first. nvcc must be on
# the machine (PATH, CUDACXX or /usr/local/cuda/bin).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-check}
ARCH=${ARCH:-90}
BUILD_DIR=${BUILD_DIR:-build-gpu}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
git rev-parse --short HEAD 2>/dev/null | tee "$OUT/commit.txt"
# Only the packages the build needs (no MuJoCo or NumPy checks here).
PACKAGES=(g++ make cmake libeigen3-dev libboost-program-options-dev libstb-dev zlib1g-dev googletest libgtest-dev libbenchmark-dev)
if [ -n "${DEBS:-}" ]; then dpkg -i "$DEBS"/*.deb >"$OUT/dpkg.log" 2>&1 || tail -5 "$OUT/dpkg.log"; fi
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DAIME_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$ARCH" >"$OUT/cmake.log" 2>&1 \
  || { tail -20 "$OUT/cmake.log"; exit 1; }
cmake --build "$BUILD_DIR" -j "$JOBS" >"$OUT/build.log" 2>&1 || { grep -E "error" "$OUT/build.log" | head -20; exit 1; }
echo "== ctest -L cuda"
ctest --test-dir "$BUILD_DIR" -L cuda -j 4 --output-on-failure >"$OUT/ctest-cuda.log" 2>&1
grep -E "tests passed|tests failed|Failed|\(Failed\)" "$OUT/ctest-cuda.log" | head -40
echo "== ctest (everything)"
ctest --test-dir "$BUILD_DIR" -j "$JOBS" >"$OUT/ctest-all.log" 2>&1
grep -E "tests passed|tests failed|\(Failed\)" "$OUT/ctest-all.log" | head -40
echo "== cuda_bench"
"$BUILD_DIR/benchmarks/cuda_bench" --iters 50 | tee "$OUT/cuda_bench.md"
echo "== train_step"
: >"$OUT/train_step.jsonl"
for device in cuda cpu; do
  for model in rssm rssmo; do
    for setup in mdp visual; do
      steps=20; warmup=3
      [ "$device" = cpu ] && { steps=3; warmup=1; }
      "$BUILD_DIR/benchmarks/train_step" --model $model --setup $setup --device $device --steps $steps --warmup $warmup \
        --threads "$JOBS" 2>>"$OUT/train_step.log" | tail -1 | tee -a "$OUT/train_step.jsonl"
    done
  done
done
# Issue 11 against PyTorch, where this machine's python3 has a CUDA-enabled torch: the
# float64 cross-check on the GPU, then the speed table (eager, CUDA graphs, torch.compile).
PY=""
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
  if "$candidate" -c "import torch, numpy, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    PY="$candidate"; break
  fi
done
if [ -n "$PY" ]; then
  echo "== PyTorch cross-check on cuda"
  PYTHON="$PY" bash benchmarks/reference/cross_check.sh "$BUILD_DIR/benchmarks/train_step" --device cuda 2>&1 | tee "$OUT/cross_check_cuda.log"
  echo "== aime vs PyTorch on cuda"
  "$PY" benchmarks/reference/compare.py --build "$BUILD_DIR" --device cuda --steps 20 --warmup 3 --threads "$JOBS" \
    2>"$OUT/compare_cuda.log" | tee "$OUT/compare_cuda.md"
else
  echo "== no python3 with a CUDA-enabled torch here: PyTorch comparison skipped"
fi
