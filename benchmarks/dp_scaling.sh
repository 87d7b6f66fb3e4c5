#!/usr/bin/env bash
# Throughput of 1 and 2 ranks (one thread each) and of one process with 2 threads, for the
# original's walker visual RSSM step and the mdp steps (RSSM, RSSMO), in one run:
#   bash benchmarks/dp_scaling.sh [BUILD_DIR]      (about 5 minutes on the 2-core machine)
# Prints one JSON line per run (benchmarks/dp_step.cpp) and a markdown table.
set -euo pipefail
BUILD=${1:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
OVERSUBSCRIBE=""
mpirun --version 2>&1 | grep -qi "open mpi\|openrte" && OVERSUBSCRIBE=--oversubscribe
out=$(mktemp)
for case in "rssm mdp 5" "rssmo mdp 5" "rssm visual 3"; do
  set -- $case
  "$BUILD/benchmarks/dp_step" --model "$1" --setup "$2" --steps "$3" --warmup 1 --threads 1 | tee -a "$out"
  OMP_NUM_THREADS=2 "$BUILD/benchmarks/dp_step" --model "$1" --setup "$2" --steps "$3" --warmup 1 --threads 2 | tee -a "$out"
  mpirun $OVERSUBSCRIBE -np 2 "$BUILD/benchmarks/dp_step" --model "$1" --setup "$2" --steps "$3" --warmup 1 --threads 1 | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("\n| model | setup | 1 rank x 1 thread | 1 process x 2 threads | 2 ranks x 1 thread | 2 ranks / 1 rank | all-reduce (share of step) | wait for the slower rank |")
print("|---|---|---|---|---|---|---|---|")
for i in range(0, len(runs), 3):
    one, threads, two = runs[i:i + 3]
    print(f"| {one['model']} | {one['setup']} | {one['median_step_s']:.3f} s | {threads['median_step_s']:.3f} s | "
          f"{two['median_step_s']:.3f} s | {one['median_step_s'] / two['median_step_s']:.2f}x | "
          f"{two['median_allreduce_s'] * 1e3:.1f} ms of {two['allreduce_mb']:.1f} MB ({two['allreduce_share']:.1%}) | "
          f"{two['median_wait_s'] * 1e3:.1f} ms |")
PY
rm -f "$out"
