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
#          --setup visual|mdp (mdp: the same story from the vector sensors, in about 12 minutes),
#          --seeds "0 1 2", --out DIR (default runs/demo, or runs/demo-mdp),
#          --jobs N (imitation runs at once, each on cores/N OpenMP threads, its output in
#          OUT/logs/; default 1 from pixels, the number of cores in mdp (whose small networks
#          gain nothing from a second thread) and with --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
seeds="0 1 2"
setup=visual
out=""
jobs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --seeds) seeds="$2"; shift ;;
    --setup) setup="$2"; shift ;;
    --out) out="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    *) echo "demo.sh: unknown option $1 (use --quick, --setup visual|mdp, --seeds \"0 1 2\", --out DIR, --jobs N)" >&2; exit 2 ;;
  esac
  shift
done
case "$setup" in
  visual) out=${out:-runs/demo} ;;
  mdp) out=${out:-runs/demo-mdp} ;;
  *) echo "demo.sh: --setup must be visual or mdp, got $setup" >&2; exit 2 ;;
esac
cores=$(nproc)
[ -n "$jobs" ] || { [ "$setup" = mdp ] || [ $quick = 1 ] && jobs=$cores || jobs=1; }
case "$jobs" in ''|*[!0-9]*|0) echo "demo.sh: --jobs must be a positive integer, got '$jobs'" >&2; exit 2 ;; esac
start=$(date +%s)
if [ "$setup" = visual ]; then
  echo "== aime demo: pendulum-swingup from pixels; under 15 minutes on 2 CPU cores (--quick: about 1 minute)"
else
  echo "== aime demo: pendulum-swingup from its vector sensors (mdp); about 10 minutes on 2 CPU cores (imitation runs 2 at a time)"
fi
TARGETS=aime bash scripts/setup.sh
aime="${BUILD_DIR:-build}/apps/aime"
env=pendulum-swingup
if [ $quick = 1 ]; then
  mix_episodes=3; demo_episodes=2; episode_steps=200
  model_steps=20; aime_epochs=2; aime_batches=5; aime_window=16; aime_test_period=2
  test_episodes=1; final_episodes=2; min_epochs=1; max_epochs=2; dyn_epochs=1; seeds="0"
elif [ "$setup" = visual ]; then
  mix_episodes=30; demo_episodes=10; episode_steps=1000
  model_steps=1000; aime_epochs=5; aime_batches=50; aime_window=16; aime_test_period=2
  test_episodes=3; final_episodes=10; min_epochs=2; max_epochs=3; dyn_epochs=1
else
  mix_episodes=30; demo_episodes=10; episode_steps=1000
  model_steps=3000; aime_epochs=40; aime_batches=200; aime_window=32; aime_test_period=10
  test_episodes=5; final_episodes=20; min_epochs=300; max_epochs=300; dyn_epochs=40
fi
if [ "$setup" = visual ]; then
  model_flags=(--setup visual --cnn-width 8 --kl-scale 0.01 --lr 3e-3)
  baseline_setup=(--setup visual --stack 5 --cnn-width 8)
else
  model_flags=(--setup mdp --lr 1e-3)
  baseline_setup=(--setup mdp --stack 1)
fi
common=(--env $env --episode-steps $episode_steps)
echo "== uses: $mix_episodes mixed + $demo_episodes expert episodes; world model: RSSM state 64+16, MLPs 64,"
echo "   ${model_flags[*]}, batch 16 x horizon 16, $model_steps steps;"
echo "   AIME: $((aime_epochs * aime_batches)) steps of $aime_window windows x $aime_window steps, Adam 1e-3;"
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
# The imitation runs, AIME's first (the longest). One at a time they print their progress
# bars here; with --jobs N > 1, N run at once, each writes OUT/logs/RUN.log, and one bar
# counts the finished runs.
runs=(); policies=()
for seed in $seeds; do runs+=("aime-$seed"); done
for seed in $seeds; do runs+=("bc-$seed" "bco-$seed" "iidm-$seed"); done
for seed in $seeds; do
  policies+=(--policy "$out/aime-$seed" --policy "$out/bc-$seed" --policy "$out/bco-$seed" --policy "$out/iidm-$seed")
done
imitate_run() {  # imitate_run NAME: the command line of one run
  local algo=${1%-*} seed=${1##*-}
  case "$algo" in
    aime) "$aime" imitate --algo aime --model "$out/model" "${imitate[@]}" --epochs $aime_epochs --batches-per-epoch $aime_batches \
            --test-period $aime_test_period --horizon $aime_window --batch-size $aime_window --lr 1e-3 --seed $seed --out "$out/$1" ;;
    bc) "$aime" imitate --algo bc "${imitate[@]}" "${baseline[@]}" --seed $seed --out "$out/$1" ;;
    *) "$aime" imitate --algo $algo --embodiment "$out/data/mix" "${imitate[@]}" "${baseline[@]}" --seed $seed --out "$out/$1" ;;
  esac
}
final_line() { grep -h "^final test" "$out/logs/$1.log" 2>/dev/null | tail -1 | sed 's/^final test //'; }
bar() {  # bar DONE TOTAL
  local width=30 filled=$(( $1 * 30 / $2 ))
  printf '[%s%s] %d/%d runs, %d s\n' "$(printf '%*s' $filled '' | tr ' ' '#')" "$(printf '%*s' $((width - filled)) '' | tr ' ' '.')" \
    "$1" "$2" $(( $(date +%s) - start ))
}
if [ "$jobs" -le 1 ]; then
  for run in "${runs[@]}"; do imitate_run "$run"; done
else
  threads=$(( cores / jobs )); [ $threads -ge 1 ] || threads=1
  mkdir -p "$out/logs"
  echo "== ${#runs[@]} imitation runs, $jobs at a time on $threads OpenMP thread(s) each; logs in $out/logs/"
  declare -A names=()
  done_runs=0
  reap() {  # waits for one run; stops the demo if it failed
    local pid status=0
    wait -n -p pid || status=$?
    local name=${names[$pid]}
    unset "names[$pid]"
    if [ $status -ne 0 ]; then
      echo "demo.sh: run $name failed (exit $status); the end of $out/logs/$name.log:" >&2
      tail -n 20 "$out/logs/$name.log" >&2
      kill "${!names[@]}" 2>/dev/null || true
      exit 1
    fi
    done_runs=$((done_runs + 1))
    echo "   $name: $(final_line "$name")"
    bar $done_runs ${#runs[@]}
  }
  bar 0 ${#runs[@]}
  for run in "${runs[@]}"; do
    [ ${#names[@]} -lt "$jobs" ] || reap
    OMP_NUM_THREADS=$threads imitate_run "$run" > "$out/logs/$run.log" 2>&1 &
    names[$!]=$run
  done
  while [ ${#names[@]} -gt 0 ]; do reap; done
fi
"$aime" evaluate "${policies[@]}" --policy random --policy expert --env $env --episode-steps $episode_steps \
  --episodes $final_episodes --demos "$out/data/expert" --out "$out/results"
echo "== demo finished in $(( $(date +%s) - start )) s; table: $out/results.md, plot: $out/results.png"
