#!/usr/bin/env bash
# Wall time of Dreamer's iteration (model step, actor step through the imagination, value
# step) and of one training episode, from `aime train-agent`'s metrics.csv, at the laptop
# size (configs/dreamer-small.ini) and at the original's (configs/dreamer.ini, RSSMO 512+30,
# B = T = 50, 2,500 imagined starts x 15 steps), on cartpole-swingup and walker-walk from the
# vector sensors. One epoch of --updates updates each (default 20), after the 5 random
# prefill episodes and no pretraining; the first epoch's numbers (the allocator warms up
# within its first updates). Usage: bash benchmarks/dreamer_update.sh [--updates N] [--threads "1 2"]
set -euo pipefail
cd "$(dirname "$0")/.."
updates=20
threads="1 2"
while [ $# -gt 0 ]; do
  case "$1" in
    --updates) updates="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    *) echo "dreamer_update.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
aime="${BUILD_DIR:-build}/apps/aime"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
envs="cartpole-swingup"
"$aime" collect --help | grep -q walker && envs="$envs walker-walk"
echo "| env | config | threads | model s/update | actor s/update | value s/update | update s | episode s |"
echo "|---|---|---|---|---|---|---|---|"
for env in $envs; do
  for config in dreamer-small dreamer; do
    for t in $threads; do
      OMP_NUM_THREADS=$t "$aime" train-agent --config configs/$config.ini --setup mdp --env $env --epochs 1 \
        --updates-per-epoch $updates --pretrain-updates 0 --eval-episodes 0 --out "$tmp/$env-$config-$t" > /dev/null 2>&1
      python3 - "$tmp/$env-$config-$t/metrics.csv" "$env" "$config" "$t" <<'PY'
import csv, sys
row = list(csv.DictReader(open(sys.argv[1])))[-1]
f = lambda k: "%.3f" % float(row[k])
print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (sys.argv[2], sys.argv[3], sys.argv[4], f("model_seconds"),
      f("actor_seconds"), f("value_seconds"), f("update_seconds"), f("episode_seconds")))
PY
    done
  done
done
