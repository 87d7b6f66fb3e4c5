#!/usr/bin/env bash
# The README's main command: the whole AIME story on the built-in pendulum-swingup, from
# pixels, on a laptop-sized budget (under 15 minutes on 2 CPU cores, building included):
#   1. collect an embodiment dataset (mixed-quality policy, with actions) and expert
#      demonstrations (AIME reads only their observations);
#   2. train a small visual world model (RSSM, cnn_ha at width 8) on the embodiment data,
#      while the baselines BC (the oracle: it sees the expert's actions), BCO(0) and IIDM,
#      which need no world model, train on stacks of frames beside it (one per seed);
#   3. for each seed, AIME through the frozen model, once it is saved;
#   4. the results table of every policy in the environment (runs/demo/results.md, .csv,
#      and the return-over-training plot .png), from each run's final test.
# Options: --quick (a tiny run for CI: checks the plumbing, not the numbers),
#          --setup visual|mdp (mdp: the same story from the vector sensors; 681 s when
#          measured on 2026-12-04: see docs/results.md),
#          --seeds "0 1 2", --out DIR (default runs/demo, or runs/demo-mdp),
#          --jobs N (runs at once, the world model's training among them, each on cores/N
#          OpenMP threads, its output in OUT/logs/; default: the number of cores, as AIME's
#          small networks gain nothing from a second thread and the model's training 1.4x).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
seeds="0 1 2"
setup=visual
out=""
jobs=""
env=pendulum-swingup
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --seeds) seeds="$2"; shift ;;
    --setup) setup="$2"; shift ;;
    --out) out="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    --env) env="$2"; shift ;;
    *) echo "demo.sh: unknown option $1 (use --quick, --setup visual|mdp, --env NAME, --seeds \"0 1 2\", --out DIR, --jobs N)" >&2; exit 2 ;;
  esac
  shift
done
case "$setup" in
  visual) out=${out:-runs/demo} ;;
  mdp) out=${out:-runs/demo-mdp} ;;
  *) echo "demo.sh: --setup must be visual or mdp, got $setup" >&2; exit 2 ;;
esac
cores=$(nproc)
[ -n "$jobs" ] || jobs=$cores
case "$jobs" in ''|*[!0-9]*|0) echo "demo.sh: --jobs must be a positive integer, got '$jobs'" >&2; exit 2 ;; esac
start=$(date +%s)
if [ "$setup" = visual ]; then
  echo "== aime demo: pendulum-swingup from pixels; under 15 minutes on 2 CPU cores (--quick: about 1 minute)"
else
  echo "== aime demo: pendulum-swingup from its vector sensors (mdp); 10 minutes or more on 2 CPU cores (docs/results.md: what was measured)"
fi
TARGETS=aime bash scripts/setup.sh
aime="${BUILD_DIR:-build}/apps/aime"
if [ $quick = 1 ]; then
  mix_episodes=3; demo_episodes=2; episode_steps=200
  model_steps=20; aime_epochs=2; aime_batches=5; aime_window=16; aime_test_period=2
  test_episodes=1; final_episodes=2; min_epochs=1; max_epochs=2; dyn_epochs=1; seeds="0"
elif [ "$setup" = visual ]; then
  mix_episodes=30; demo_episodes=10; episode_steps=1000
  model_steps=1000; aime_epochs=25; aime_batches=100; aime_window=16; aime_test_period=10
  test_episodes=3; final_episodes=10; min_epochs=2; max_epochs=2; dyn_epochs=1
else
  mix_episodes=30; demo_episodes=10; episode_steps=1000
  model_steps=3000; aime_epochs=40; aime_batches=200; aime_window=32; aime_test_period=10
  test_episodes=5; final_episodes=20; min_epochs=300; max_epochs=300; dyn_epochs=40
fi
# The world model's windows (batch x horizon) and AIME's (windows x steps, objective); the
# baselines test every fifth of their epochs (from pixels: at the start and the end only).
baseline_test_period=$(( (max_epochs + 4) / 5 ))
model_batch=16; model_horizon=16; aime_batch=$aime_window; aime_flags=(); aime_lr=1e-3
if [ "$setup" = visual ]; then
  # From pixels, 8 windows of 32 steps (same cost as 16 of 16) let the model see an action's
  # effect (docs/results.md), nearly all of it in the KL: AIME trains on the KL alone (--kl-only),
  # which runs no decoder, over demonstrations embedded once.
  # Adam 3e-3 for that policy: over seeds 0-2 at 2,000 steps, 3.9 normalised against 2.1 at 1e-3.
  [ $quick = 1 ] || { model_batch=8; model_horizon=32; aime_batch=16; aime_window=32; baseline_test_period=$max_epochs; aime_lr=3e-3; }
  aime_flags=(--kl-only)
  model_flags=(--setup visual --cnn-width 8 --kl-scale 0.01 --lr 3e-3)
  baseline_setup=(--setup visual --stack 5 --cnn-width 8)
else
  model_flags=(--setup mdp --lr 1e-3)
  baseline_setup=(--setup mdp --stack 1)
fi
common=(--env $env --episode-steps $episode_steps)
echo "== uses: $mix_episodes mixed + $demo_episodes expert episodes; world model: RSSM state 64+16, MLPs 64,"
echo "   ${model_flags[*]}, batch $model_batch x horizon $model_horizon, $model_steps steps;"
echo "   AIME ${aime_flags[*]}: $((aime_epochs * aime_batches)) steps of $aime_batch windows x $aime_window steps, Adam $aime_lr;"
echo "   baselines: ${baseline_setup[*]}, $min_epochs-$max_epochs epochs; seeds: $seeds"
rm -rf "$out"
mkdir -p "$out"
"$aime" collect "${common[@]}" --policy mix --episodes $mix_episodes --seed 0 --out "$out/data/mix"
"$aime" collect "${common[@]}" --policy expert --episodes $demo_episodes --seed 1 --out "$out/data/expert"
train_model() {
  "$aime" train-model --dataset "$out/data/mix" "${model_flags[@]}" --world-model rssm --config configs/model-only.ini \
    --config configs/small.ini --batch-size $model_batch --horizon $model_horizon --epochs 1 --batches-per-epoch $model_steps \
    --checkpoint-every 1000000 --seed 0 --out "$out/model"
}
# Every test runs on the episodes of seed 142 (the original's test seed), and each run's final
# test on the same $final_episodes as the table's: `aime evaluate` below reads those returns
# from the run folders (final_test.csv) instead of rolling the same episodes again.
eval_seed=142
imitate=(--demos "$out/data/expert" "${common[@]}" --test-seed $eval_seed --test-episodes $test_episodes
         --final-test-episodes $final_episodes)
baseline=("${baseline_setup[@]}" --test-period $baseline_test_period --min-epochs $min_epochs --max-epochs $max_epochs --patience 2
          --dynamics-min-steps 0 --dynamics-min-epochs $dyn_epochs --dynamics-max-epochs $dyn_epochs --val-windows 500)
# The runs: the world model, AIME's (which need the model) and the baselines' (which do not).
aime_runs=(); baseline_runs=(); policies=()
for seed in $seeds; do aime_runs+=("aime-$seed"); done
for seed in $seeds; do baseline_runs+=("bc-$seed" "bco-$seed" "iidm-$seed"); done
for seed in $seeds; do
  policies+=(--policy "$out/aime-$seed" --policy "$out/bc-$seed" --policy "$out/bco-$seed" --policy "$out/iidm-$seed")
done
run_one() {  # run_one NAME: the command line of one run
  local algo=${1%-*} seed=${1##*-}
  case "$algo" in
    model) train_model ;;
    aime) "$aime" imitate --algo aime --model "$out/model" "${imitate[@]}" --epochs $aime_epochs --batches-per-epoch $aime_batches \
            --test-period $aime_test_period --horizon $aime_window --batch-size $aime_batch "${aime_flags[@]}" --lr $aime_lr --seed $seed --out "$out/$1" ;;
    bc) "$aime" imitate --algo bc "${imitate[@]}" "${baseline[@]}" --seed $seed --out "$out/$1" ;;
    *) "$aime" imitate --algo $algo --embodiment "$out/data/mix" "${imitate[@]}" "${baseline[@]}" --seed $seed --out "$out/$1" ;;
  esac
}
if [ "$jobs" -le 1 ]; then
  # One at a time, each printing its progress bars here.
  train_model
  for run in "${aime_runs[@]}" "${baseline_runs[@]}"; do run_one "$run"; done
else
  # N at a time, each on cores/N OpenMP threads and writing OUT/logs/RUN.log. The baselines
  # need no world model, so they fill the other slots while it trains; AIME's runs start as
  # soon as it is saved. One bar counts the finished runs, with the model's progress beside it.
  threads=$(( cores / jobs )); [ $threads -ge 1 ] || threads=1
  mkdir -p "$out/logs"
  total=$(( 1 + ${#aime_runs[@]} + ${#baseline_runs[@]} ))
  echo "== the world model and ${#aime_runs[@]} + ${#baseline_runs[@]} imitation runs, $jobs at a time on $threads OpenMP thread(s) each; logs in $out/logs/"
  declare -A names=()
  done_runs=0; model_done=0
  last_line() {  # last_line NAME PATTERN: the run's last log line matching PATTERN
    grep -ah "$2" "$out/logs/$1.log" 2>/dev/null | tail -n 1 || true
  }
  bar() {
    local width=30 filled=$(( done_runs * 30 / total )) model=""
    [ $model_done = 1 ] || model="; model: $(last_line model 'steps/s' | sed 's/^\[[#.]*\] //; s/ *ETA.*//')"
    printf '[%s%s] %d/%d runs, %d s%s\n' "$(printf '%*s' $filled '' | tr ' ' '#')" "$(printf '%*s' $((width - filled)) '' | tr ' ' '.')" \
      $done_runs $total $(( $(date +%s) - start )) "$model"
  }
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
    if [ "$name" = model ]; then
      model_done=1
      echo "   model: $(last_line model '^step ')"
    else
      echo "   $name: $(last_line "$name" '^final test' | sed 's/^final test //')"
    fi
    bar
  }
  launch() {  # launch NAME
    OMP_NUM_THREADS=$threads run_one "$1" > "$out/logs/$1.log" 2>&1 &
    names[$!]=$1
  }
  bar
  launch model
  next_aime=0; next_baseline=0
  while [ $next_aime -lt ${#aime_runs[@]} ] || [ $next_baseline -lt ${#baseline_runs[@]} ]; do
    [ ${#names[@]} -lt "$jobs" ] || reap
    if [ $model_done = 1 ] && [ $next_aime -lt ${#aime_runs[@]} ]; then
      launch "${aime_runs[$next_aime]}"; next_aime=$((next_aime + 1))
    elif [ $next_baseline -lt ${#baseline_runs[@]} ]; then
      launch "${baseline_runs[$next_baseline]}"; next_baseline=$((next_baseline + 1))
    else
      reap  # only AIME's runs are left: wait for the model
    fi
  done
  while [ ${#names[@]} -gt 0 ]; do reap; done
fi
"$aime" evaluate "${policies[@]}" --policy random --policy expert --env $env --episode-steps $episode_steps \
  --episodes $final_episodes --seed $eval_seed --demos "$out/data/expert" --out "$out/results"
echo "== demo finished in $(( $(date +%s) - start )) s; table: $out/results.md, plot: $out/results.png"
