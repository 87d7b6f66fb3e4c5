#!/usr/bin/env bash
# The README's main command: the whole AIME story on the built-in pendulum-swingup, from
# pixels, on a laptop-sized budget (under 15 minutes on 2 CPU cores, building included):
#   1. collect an embodiment dataset (mixed-quality policy, with actions) and expert
#      demonstrations (AIME reads only their observations);
#   2. train a small visual world model (RSSM, cnn_ha at width 8) on the embodiment data;
#   3. for each seed: AIME through the frozen model, and the baselines BC (the oracle: it
#      sees the expert's actions), BCO(0) and IIDM on stacks of frames;
#   4. evaluate every policy in the environment and print the results table
#      (runs/demo/results.md, .csv, and the return-over-training plot .png).
# Options: --quick (a tiny run for CI: checks the plumbing, not the numbers),
#          --setup visual|mdp (mdp: the same story from the vector sensors, in about 10 minutes),
#          --seeds "0 1 2", --out DIR (default runs/demo, or runs/demo-mdp).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
seeds="0 1 2"
setup=visual
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --seeds) seeds="$2"; shift ;;
    --setup) setup="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "demo.sh: unknown option $1 (use --quick, --setup visual|mdp, --seeds \"0 1 2\", --out DIR)" >&2; exit 2 ;;
  esac
  shift
done
case "$setup" in
  visual) out=${out:-runs/demo} ;;
  mdp) out=${out:-runs/demo-mdp} ;;
  *) echo "demo.sh: --setup must be visual or mdp, got $setup" >&2; exit 2 ;;
esac
start=$(date +%s)
if [ "$setup" = visual ]; then
  echo "== aime demo: pendulum-swingup from pixels; under 15 minutes on 2 CPU cores (--quick: about 1 minute)"
else
  echo "== aime demo: pendulum-swingup from its vector sensors (mdp); about 10 minutes on 2 CPU cores"
fi
TARGETS=aime bash scripts/setup.sh
aime="${BUILD_DIR:-build}/apps/aime"
env=pendulum-swingup
if [ $quick = 1 ]; then
  mix_episodes=3; demo_episodes=2; episode_steps=200
  model_steps=20; aime_epochs=2; aime_batches=5; test_episodes=1; final_episodes=2
  min_epochs=1; max_epochs=2; dyn_epochs=1; seeds="0"
elif [ "$setup" = visual ]; then
  mix_episodes=30; demo_episodes=10; episode_steps=1000
  model_steps=1200; aime_epochs=5; aime_batches=50; test_episodes=3; final_episodes=10
  min_epochs=2; max_epochs=4; dyn_epochs=2
else
  mix_episodes=30; demo_episodes=10; episode_steps=1000
  model_steps=3000; aime_epochs=10; aime_batches=50; test_episodes=5; final_episodes=20
  min_epochs=300; max_epochs=300; dyn_epochs=40
fi
if [ "$setup" = visual ]; then
  model_flags=(--setup visual --cnn-width 8 --kl-scale 0.01 --lr 1e-3)
  baseline_setup=(--setup visual --stack 5 --cnn-width 8)
else
  model_flags=(--setup mdp --lr 1e-3)
  baseline_setup=(--setup mdp --stack 1)
fi
common=(--env $env --episode-steps $episode_steps)
echo "== uses: $mix_episodes mixed + $demo_episodes expert episodes; world model: RSSM state 64+16, MLPs 64,"
echo "   ${model_flags[*]}, batch 16 x horizon 16, $model_steps steps; AIME: $((aime_epochs * aime_batches)) steps of 16 x 16;"
echo "   baselines: ${baseline_setup[*]}, $min_epochs-$max_epochs epochs; seeds: $seeds"
rm -rf "$out"
mkdir -p "$out"
"$aime" collect "${common[@]}" --policy mix --episodes $mix_episodes --seed 0 --out "$out/data/mix"
"$aime" collect "${common[@]}" --policy expert --episodes $demo_episodes --seed 1 --out "$out/data/expert"
"$aime" train-model --dataset "$out/data/mix" "${model_flags[@]}" --world-model rssm --config configs/model-only.ini \
  --config configs/small.ini --epochs 1 --batches-per-epoch $model_steps \
  --checkpoint-every 1000000 --seed 0 --out "$out/model"
imitate=(--demos "$out/data/expert" "${common[@]}" --test-episodes $test_episodes
         --final-test-episodes $final_episodes)
baseline=("${baseline_setup[@]}" --test-period $(( (max_epochs + 4) / 5 )) --min-epochs $min_epochs --max-epochs $max_epochs --patience 2
          --dynamics-min-steps 0 --dynamics-min-epochs $dyn_epochs --dynamics-max-epochs $dyn_epochs --val-windows 500)
policies=()
for seed in $seeds; do
  "$aime" imitate --algo aime --model "$out/model" "${imitate[@]}" --epochs $aime_epochs --batches-per-epoch $aime_batches --test-period 2 \
    --horizon 16 --batch-size 16 --seed $seed --out "$out/aime-$seed"
  "$aime" imitate --algo bc "${imitate[@]}" "${baseline[@]}" --seed $seed --out "$out/bc-$seed"
  "$aime" imitate --algo bco --embodiment "$out/data/mix" "${imitate[@]}" "${baseline[@]}" --seed $seed --out "$out/bco-$seed"
  "$aime" imitate --algo iidm --embodiment "$out/data/mix" "${imitate[@]}" "${baseline[@]}" --seed $seed --out "$out/iidm-$seed"
  policies+=(--policy "$out/aime-$seed" --policy "$out/bc-$seed" --policy "$out/bco-$seed" --policy "$out/iidm-$seed")
done
"$aime" evaluate "${policies[@]}" --policy random --policy expert --env $env --episode-steps $episode_steps \
  --episodes $final_episodes --demos "$out/data/expert" --out "$out/results"
echo "== demo finished in $(( $(date +%s) - start )) s; table: $out/results.md, plot: $out/results.png"
