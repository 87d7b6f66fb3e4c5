#!/usr/bin/env bash
# The PyTorch cross-check for every configuration (RSSM and RSSMO, mdp and visual): aime's
# train_step --dump writes weights, batch and its loss and gradients in float64; the
# PyTorch reference recomputes them from the same weights, batch and Philox noise.
#   bash benchmarks/reference/cross_check.sh [TRAIN_STEP] [--device cuda] [--batch B] [--horizon T]
# Exits 77 (CTest's "skipped") when python3 cannot import torch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
train_step="${1:-$here/../../build/benchmarks/train_step}"
shift || true
device=cpu batch=3 horizon=5
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --horizon) horizon="$2"; shift 2 ;;
    *) echo "cross_check.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# The first python3 that imports torch: $PYTHON, python3 on PATH, then Debian's.
PY=""
for candidate in ${PYTHON:-} python3 /usr/bin/python3; do
  if "$candidate" -c "import torch, numpy" 2>/dev/null; then PY="$candidate"; break; fi
done
if [ -z "$PY" ]; then
  echo "cross_check.sh: skipped: no python3 here imports torch and numpy (apt-get install python3-torch)"
  exit 77
fi
[ -x "$train_step" ] || { echo "cross_check.sh: no train_step binary at $train_step" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for model in rssm rssmo; do
  for setup in mdp visual; do
    dir="$work/$model-$setup"
    mkdir -p "$dir"
    "$train_step" --model "$model" --setup "$setup" --device "$device" --dtype float64 --batch "$batch" \
      --horizon "$horizon" --threads 2 --dump "$dir" 2>/dev/null
    "$PY" "$here/cross_check.py" "$dir" --device "$device" || status=1
  done
done
exit $status
