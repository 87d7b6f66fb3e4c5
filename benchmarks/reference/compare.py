"""aime against PyTorch on the world-model training step, in one go.

    python3 benchmarks/reference/compare.py [--build build] [--device cpu|cuda] [--threads 1,2]
        [--steps 5] [--warmup 2] [--configs rssm:mdp,rssmo:mdp,rssm:visual,rssmo:visual]
        [--demo-configs rssm:mdp,rssm:visual] [--gemm eigen|blas]

For each thread count and configuration it runs aime's benchmarks/train_step and then the
PyTorch reference (train_step.py; on CUDA also with --graphs and --compile where they run),
one after the other on the same machine, and prints a Markdown table: median step time of
each, the speed-up (PyTorch's time / aime's), the step's arithmetic rate (the multiply-adds
of its products, which aime counts and which both programs make, over each one's time) as a
fraction of this machine's GEMM peak (a 2048^3 product through aime's GEMM at the same
threads), and peak memory (CPU: the process's peak RSS; CUDA: the caching allocator's
peak). --configs are the original's sizes (B = T = 50); --demo-configs the README demo's
model at batch 16 x horizon 32 (train_step --size demo). Every number comes from the JSON
last line of the two programs.

OpenBLAS (PyTorch's CPU GEMM on Debian, and aime's with --gemm blas) picks its kernels from
the CPU's model number, and OpenBLAS 0.3.21 does not know recent Intel models: on a
Sapphire Rapids guest it falls back to its SSE3 (Prescott) kernels and PyTorch's step runs
2.6x slower than with its AVX-512 ones. Unless OPENBLAS_CORETYPE is set already, this script
sets it from the CPU's flags (SkylakeX with AVX-512, Haswell with AVX2) for both programs,
and prints the core each one reports.

The reference runs under the first Python that has torch: $PYTHON, this one, then Debian's
/usr/bin/python3 (python3-torch), which a pyenv or venv python3 first on PATH hides (the
order of cross_check.sh); --python picks another.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
    lines = [l for l in p.stdout.strip().splitlines() if l.startswith("{")]
    if not lines:
        return None, "no JSON line"
    return json.loads(lines[-1]), None


def openblas_core_for_this_cpu():
    try:
        flags = next(l for l in open("/proc/cpuinfo") if l.startswith("flags")).split()
    except (OSError, StopIteration):
        return None
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= set(flags):
        return "SkylakeX"
    if {"avx2", "fma"} <= set(flags):
        return "Haswell"
    return None


def torch_openblas_core(python, env):
    code = ("import ctypes, torch\n"
            "for name in ('libopenblas.so.0', 'libblas.so.3'):\n"
            "    try:\n"
            "        lib = ctypes.CDLL(name)\n"
            "        lib.openblas_get_corename.restype = ctypes.c_char_p\n"
            "        print(lib.openblas_get_corename().decode()); break\n"
            "    except (OSError, AttributeError):\n"
            "        pass\n")
    p = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    return p.stdout.strip() or "not OpenBLAS"


def python_with_torch():
    """The first Python that imports torch, in cross_check.sh's order: $PYTHON, this one, then
    Debian's /usr/bin/python3 (python3-torch), which a pyenv or venv python3 on PATH hides."""
    for candidate in [c for c in [os.environ.get("PYTHON"), sys.executable, "/usr/bin/python3"] if c]:
        if os.access(candidate, os.X_OK) and subprocess.run([candidate, "-c", "import torch"],
                                                            capture_output=True).returncode == 0:
            if candidate != sys.executable and candidate != os.environ.get("PYTHON"):
                print(f"compare.py: {sys.executable} has no torch; the reference runs under {candidate}",
                      file=sys.stderr)
            return candidate
    return sys.executable  # the rows then say why the reference did not run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", default="2", help="comma-separated thread counts, e.g. 1,2")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--configs", default="rssm:mdp,rssmo:mdp,rssm:visual,rssmo:visual",
                    help="model:setup at the original's sizes ('' for none)")
    ap.add_argument("--demo-configs", default="", help="model:setup at the demo's sizes, e.g. rssm:mdp,rssm:visual")
    ap.add_argument("--gemm", default=None, help="aime's CPU GEMM: eigen or blas (default: the build's)")
    ap.add_argument("--python", default=None,
                    help="the Python that runs train_step.py (default: the first with torch of $PYTHON, "
                         "this one and /usr/bin/python3)")
    a = ap.parse_args()
    if a.python is None:
        a.python = python_with_torch()
    ours = os.path.join(a.build, "benchmarks", "train_step")
    if not os.access(ours, os.X_OK):
        sys.exit(f"compare.py: no train_step binary at {ours} (build first)")
    env = dict(os.environ)
    if a.device == "cpu" and "OPENBLAS_CORETYPE" not in env:
        core = openblas_core_for_this_cpu()
        if core:
            env["OPENBLAS_CORETYPE"] = core
    variants = [[]] + ([["--graphs"], ["--compile"]] if a.device.startswith("cuda") else [])
    mem_key = "peak_rss_mib" if a.device == "cpu" else "peak_mib"
    cases = [(c, "original") for c in a.configs.split(",") if c] + [(c, "demo") for c in a.demo_configs.split(",") if c]
    rows = []
    for threads in [int(t) for t in a.threads.split(",")]:
        common = ["--device", a.device, "--threads", str(threads), "--steps", str(a.steps), "--warmup", str(a.warmup)]
        for config, size in cases:
            model, setup = config.split(":")
            args = ["--model", model, "--setup", setup, "--size", size] + common
            print(f"compare.py: {model} {setup} ({size}) on {a.device}, {threads} threads ...", file=sys.stderr, flush=True)
            mine, err = run([ours] + args + (["--gemm", a.gemm] if a.gemm else []), env)
            if mine is None:
                sys.exit(f"compare.py: aime's train_step failed on {config}: {err}")
            for extra in variants:
                theirs, err = run([a.python, os.path.join(HERE, "train_step.py")] + args + extra, env)
                name = "PyTorch" + (" " + extra[0].lstrip("-") if extra else " eager")
                rows.append((threads, model, setup, size, name, mine, theirs, err))
    torch_version = next((r[6]["torch"] for r in rows if r[6]), "?")
    gemm = next((r[5].get("gemm", "?") for r in rows), "?")
    print(f"\n{a.device}; median of {a.steps} steps after {a.warmup} warm-up; torch {torch_version} "
          f"(its OpenBLAS core: {torch_openblas_core(a.python, env)}); aime's GEMM: {gemm}; "
          f"OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', 'unset')}; memory: {mem_key}\n")
    print("| threads | model | setup | sizes (B x T) | reference | aime step | reference step | speed-up | "
          "GFLOP per step | aime: % of GEMM peak | reference: % of GEMM peak | aime memory | reference memory |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for threads, model, setup, size, name, mine, theirs, err in rows:
        sizes = f"{size} ({mine['batch']} x {mine['horizon']})"
        gflop, peak = mine.get("gemm_gflop_per_step", 0.0), mine.get("gemm_peak_gflops", 0.0)
        pct = lambda t: f"{100 * gflop / t / peak:.0f}%" if peak > 0 and gflop > 0 else "-"
        head = f"| {threads} | {model} | {setup} | {sizes} | {name} | {mine['median_step_s']:.4f} s |"
        if theirs is None:
            print(f"{head} did not run: {err} | | {gflop:.2f} | {pct(mine['median_step_s'])} | | {mine[mem_key]:.0f} MiB | |")
            continue
        print(f"{head} {theirs['median_step_s']:.4f} s | {theirs['median_step_s'] / mine['median_step_s']:.2f}x | "
              f"{gflop:.2f} | {pct(mine['median_step_s'])} | {pct(theirs['median_step_s'])} | "
              f"{mine[mem_key]:.0f} MiB | {theirs[mem_key]:.0f} MiB |")
    peaks = sorted({(r[0], r[5].get('gemm_peak_gflops', 0.0)) for r in rows})
    print("\nGEMM peak (aime, 2048^3, best of 5), per run: " +
          ", ".join(f"{t} thread{'s' if t > 1 else ''}: {p:.0f} GFLOP/s" for t, p in peaks))


if __name__ == "__main__":
    main()
