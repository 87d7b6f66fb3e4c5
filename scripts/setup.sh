#!/usr/bin/env bash
# Installs what aime needs on Debian 12 (only the packages that are missing), then
# configures and builds it in ./build with 2 parallel jobs. Sourced by demo.sh and test.sh;
# run it alone to just build.  Environment: BUILD_DIR (default build), JOBS (default 2),
# INSTALL_ONLY=1 (install, do not build),
# CI=true turns warnings into errors. The CUDA backend is built when a CUDA compiler is found
# (docs/architecture.md, "On a GPU"; the toolkit is not an apt package here: CI machines have it in /usr/local/cuda).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  g++ make cmake                  # compiler (with OpenMP's libgomp) and build tools
  libeigen3-dev                   # CPU GEMM and vectorised maths
  libboost-program-options-dev    # the aime command line
  libstb-dev                      # PNG in and out
  zlib1g-dev                      # compressed .npz datasets
  googletest libgtest-dev         # the test suite
  libbenchmark-dev                # benchmarks/
  python3-numpy                   # tests cross-check .npz files with NumPy (skipped without it)
  python3-torch libopenblas0-openmp  # the PyTorch reference of benchmarks/reference (cross-check test, speed reference)
  libjemalloc-dev                 # the aime programs' malloc: the autograd graph's small objects (AIME_MALLOC)
  libopenblas-openmp-dev          # the CBLAS GEMM backend (AIME_BLAS; the default GEMM where its kernels have AVX2: benchmarks/README.md, lever 25)
  libmujoco-dev                   # the walker and cheetah environments (MuJoCo 2.2.2)
  libyaml-cpp-dev                 # the original's config.yaml (released model folders)
  libosmesa6-dev                  # MuJoCo's renderer headless (--renderer mujoco: DMC's pixels)
  python3-yaml                    # tests read the config.yaml aime writes with an independent parser
  libgif-dev                      # aime imagine --video: animated GIFs
  python3-protobuf                # tests parse the TensorBoard event files aime writes with the protobuf library
  libopenmpi-dev openmpi-bin      # data-parallel training across processes (mpirun; docs/distributed.md)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# INSTALL_ONLY=1: the packages only (scripts/sanitize.sh builds its own folder).
[ "${INSTALL_ONLY:-}" = 1 ] && exit 0

BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}
WERROR=OFF
[ "${CI:-}" = "true" ] && WERROR=ON
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DAIME_WERROR="$WERROR" >/dev/null
# TARGETS (e.g. "aime"): build only those (the demo needs only the program).
if [ -n "${TARGETS:-}" ]; then
  cmake --build "$BUILD_DIR" -j "$JOBS" --target $TARGETS
else
  cmake --build "$BUILD_DIR" -j "$JOBS"
fi
