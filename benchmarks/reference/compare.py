"""aime against PyTorch on the world-model training step, in one go.

    python3 benchmarks/reference/compare.py [--build build] [--device cpu|cuda] [--threads 2]
        [--steps 5] [--warmup 2] [--configs rssm:mdp,rssmo:mdp,rssm:visual,rssmo:visual]

For each configuration it runs aime's benchmarks/train_step and then the PyTorch reference
(train_step.py; on CUDA also with --graphs and --compile where they run), one after the
other on the same machine, and prints a Markdown table: median step time of each, the
speed-up (PyTorch's time / aime's), and peak memory (CPU: the process's peak RSS; CUDA: the
caching allocator's peak). Every number comes from the JSON last line of the two programs.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
    lines = [l for l in p.stdout.strip().splitlines() if l.startswith("{")]
    if not lines:
        return None, "no JSON line"
    return json.loads(lines[-1]), None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--configs", default="rssm:mdp,rssmo:mdp,rssm:visual,rssmo:visual")
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    ours = os.path.join(a.build, "benchmarks", "train_step")
    if not os.access(ours, os.X_OK):
        sys.exit(f"compare.py: no train_step binary at {ours} (build first)")
    common = ["--device", a.device, "--threads", str(a.threads), "--steps", str(a.steps), "--warmup", str(a.warmup)]
    variants = [[]] + ([["--graphs"], ["--compile"]] if a.device.startswith("cuda") else [])
    mem_key = "peak_rss_mib" if a.device == "cpu" else "peak_mib"
    rows = []
    for config in a.configs.split(","):
        model, setup = config.split(":")
        args = ["--model", model, "--setup", setup] + common
        print(f"compare.py: {model} {setup} on {a.device} ...", file=sys.stderr, flush=True)
        mine, err = run([ours] + args)
        if mine is None:
            sys.exit(f"compare.py: aime's train_step failed on {config}: {err}")
        for extra in variants:
            theirs, err = run([a.python, os.path.join(HERE, "train_step.py")] + args + extra)
            name = "PyTorch" + (" " + extra[0].lstrip("-") if extra else " eager")
            if theirs is None:
                rows.append((model, setup, name, mine, None, err))
            else:
                rows.append((model, setup, name, mine, theirs, None))
    torch_version = next((r[4]["torch"] for r in rows if r[4]), "?")
    print(f"\n{a.device}, {a.threads} threads, B = 50, T = 50, median of {a.steps} steps after {a.warmup} warm-up; "
          f"torch {torch_version}; memory: {mem_key}\n")
    print("| model | setup | reference | aime step | reference step | speed-up | aime memory | reference memory |")
    print("|---|---|---|---|---|---|---|---|")
    for model, setup, name, mine, theirs, err in rows:
        if theirs is None:
            print(f"| {model} | {setup} | {name} | {mine['median_step_s']:.3f} s | did not run: {err} | | "
                  f"{mine[mem_key]:.0f} MiB | |")
            continue
        print(f"| {model} | {setup} | {name} | {mine['median_step_s']:.3f} s | {theirs['median_step_s']:.3f} s | "
              f"{theirs['median_step_s'] / mine['median_step_s']:.2f}x | {mine[mem_key]:.0f} MiB | "
              f"{theirs[mem_key]:.0f} MiB |")


if __name__ == "__main__":
    main()
