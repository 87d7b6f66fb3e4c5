#!/usr/bin/env bash
# Resident memory and training speed of `aime train-model` on an episode folder larger than
# its dataset memory budget, against the same folder held in memory, in one run:
#   in memory            --dataset-memory auto (the folder fits: loaded once)
#   stored, on demand    --dataset-memory BUDGET, np.savez entries: each window's rows read from the files
#   compressed, on demand --dataset-memory BUDGET, np.savez_compressed: episodes decompressed into an LRU cache
# Prints peak resident memory (GNU time's %M), samples/s (windows per second, steps 2 on) and
# how train-model read the folder (only the keys the model uses are read: an mdp model reads
# no frames, so its folder fits any budget; SETUP=visual reads the frames).
# Environment: AIME (build/apps/aime), WORK (/tmp/aime_dataset_memory), EPISODES (80 of
# pendulum-swingup, 500 steps each: 470 MiB of 64x64 frames), BUDGET (64M), STEPS (8),
# SETUP (visual), MODEL (the model's flags; default: the demo's small visual model, so the
# dataset's share of memory shows).
set -euo pipefail
cd "$(dirname "$0")/.."
AIME=${AIME:-build/apps/aime}
WORK=${WORK:-/tmp/aime_dataset_memory}
EPISODES=${EPISODES:-80}
BUDGET=${BUDGET:-64M}
STEPS=${STEPS:-8}
SETUP=${SETUP:-visual}
MODEL=${MODEL:---config configs/small.ini --cnn-width 8}
[ -x /usr/bin/time ] || { echo "dataset_memory: needs GNU time (apt-get install time)" >&2; exit 1; }
mkdir -p "$WORK"
[ -d "$WORK/stored" ] || "$AIME" collect --env pendulum-swingup --episodes "$EPISODES" --seed 1 --out "$WORK/stored" >/dev/null 2>&1
[ -d "$WORK/compressed" ] || "$AIME" collect --env pendulum-swingup --episodes "$EPISODES" --seed 1 --compress --out "$WORK/compressed" >/dev/null 2>&1
"$AIME" dataset info "$WORK/stored" | head -1
echo "| dataset | --dataset-memory | read | peak RSS (MiB) | samples/s (steps 2-$STEPS) |"
echo "|---|---|---|---|---|"
for run in "stored auto" "stored $BUDGET" "compressed $BUDGET"; do
  set -- $run
  out="$WORK/run-$1-$2"
  rm -rf "$out"
  # shellcheck disable=SC2086
  /usr/bin/time -f "%M" -o "$WORK/rss" "$AIME" train-model --dataset "$WORK/$1" --dataset-memory "$2" --setup "$SETUP" \
    $MODEL --epochs 1 --batches-per-epoch "$STEPS" --seed 0 --out "$out" >"$WORK/log" 2>&1
  how=$(sed -n 's/.*steps (\(.*\))$/\1/p' "$WORK/log" | head -1)
  rss=$(( $(tail -1 "$WORK/rss") / 1024 ))
  speed=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) if ($i == "samples_per_s") c = i } NR > 2 { s += $c; n++ } END { printf "%.1f", s / n }' "$out/metrics.csv")
  echo "| $1 | $2 | $how | $rss | $speed |"
done
