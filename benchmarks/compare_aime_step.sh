#!/usr/bin/env bash
# AIME's phase-2 step of two aime binaries, in one run (this machine's speed drifts between
# days, so only ratios from one run are quoted): a small world model of the demo's sizes
# (configs/small.ini) in the mdp and visual setups, then `imitate --algo aime` for STEPS steps
# of 32 windows x 32 steps, on one OpenMP thread, the binaries alternating ROUNDS times.
# Prints the median step time (metrics.csv's `seconds`, the first 10 steps dropped) per
# binary and objective.
#   bash benchmarks/compare_aime_step.sh OLD_AIME NEW_AIME [STEPS=200] [ROUNDS=3]
# CASES="visual:" (setup:flags, space-separated) runs only those objectives.
set -euo pipefail
old=$1; new=$2; steps=${3:-200}; rounds=${4:-3}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1
common=(--env pendulum-swingup --episode-steps 300)
"$new" collect "${common[@]}" --policy mix --episodes 4 --seed 0 --out "$work/mix" >/dev/null 2>&1
"$new" collect "${common[@]}" --policy expert --episodes 4 --seed 1 --out "$work/expert" >/dev/null 2>&1
for setup in mdp visual; do
  "$new" train-model --dataset "$work/mix" --setup $setup --cnn-width 8 --config configs/model-only.ini --config configs/small.ini \
    --batch-size 4 --horizon 16 --epochs 1 --batches-per-epoch 5 --seed 0 --out "$work/model-$setup" >/dev/null 2>&1
done
median() {  # median of metrics.csv's seconds column after the first 10 rows
  python3 -c "import csv,statistics,sys; r=list(csv.DictReader(open(sys.argv[1])))[10:]; print('%.5f' % statistics.median(float(x['seconds']) for x in r))" "$1"
}
printf '| objective | binary | median AIME step (s) per round |\n|---|---|---|\n'
for case in ${CASES:-mdp: mdp:--kl-only visual:--kl-only visual:}; do
  setup=${case%%:*}; flag=${case#*:}
  declare -A times=([old]="" [new]="")
  for r in $(seq "$rounds"); do
    for which in old new; do
      bin=$old; [ $which = new ] && bin=$new
      "$bin" imitate --algo aime --model "$work/model-$setup" --demos "$work/expert" "${common[@]}" --test-episodes 0 \
        --final-test-episodes 0 --epochs 1 --batches-per-epoch "$steps" --batch-size 32 --horizon 32 $flag --seed 0 \
        --out "$work/run" >/dev/null 2>&1
      times[$which]+="$(median "$work/run/metrics.csv") "
    done
  done
  for which in old new; do printf '| %s %s | %s | %s|\n' "$setup" "${flag:-full}" "$which" "${times[$which]}"; done
done
