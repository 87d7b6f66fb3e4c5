#!/usr/bin/env python3
"""The cost model of a data-parallel step (docs/distributed.md): predictions, not measurements.

    python3 benchmarks/dp_cost_model.py --parameters 7321703 --compute-s 17.9 [--batch 50]

A step is the compute of a rank's share of the batch followed by one ring all-reduce of the
packed float32 gradient (4 x parameters bytes), with no overlap between them (buckets that
overlap it with backward are the next lever):
    allreduce(N) = 2 (N - 1) / N * bytes / bandwidth + 2 (N - 1) * latency
    strong scaling (global batch B fixed, N <= B): compute(N) = compute(1) * ceil(B / N) / B
    weak scaling (B windows per rank, global batch N * B): compute(N) = compute(1)
--compute-s is the measured step of one process on the whole batch (benchmarks/dp_step).
Links are taken at their line rate with a typical per-message latency; real transfers
reach 80-95% of the line rate, so the all-reduce times are lower bounds.
"""
import argparse
import math

LINKS = [  # name, bytes/s at line rate, latency per message (s)
    ("10 GbE", 10e9 / 8, 20e-6),
    ("25 GbE", 25e9 / 8, 15e-6),
    ("100 GbE", 100e9 / 8, 10e-6),
    ("InfiniBand HDR", 200e9 / 8, 2e-6),
]


def allreduce_s(n, nbytes, bandwidth, latency):
    return 0.0 if n == 1 else 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parameters", type=int, required=True)
    p.add_argument("--compute-s", type=float, required=True, help="one process's step on the whole batch")
    p.add_argument("--batch", type=int, default=50)
    a = p.parse_args()
    nbytes = 4 * a.parameters
    print(f"{a.parameters:,} parameters: {nbytes / 1e6:.1f} MB per all-reduce; one process's step {a.compute_s:.3g} s\n")
    print(f"Weak scaling ({a.batch} windows per rank): step time in s (efficiency = compute / step)\n")
    print("| ranks | " + " | ".join(name for name, _, _ in LINKS) + " |")
    print("|---|" + "---|" * len(LINKS))
    for n in [2, 4, 8, 16, 32, 64, 128, 256]:
        cells = []
        for _, bw, lat in LINKS:
            step = a.compute_s + allreduce_s(n, nbytes, bw, lat)
            cells.append(f"{step:.3g} ({a.compute_s / step:.0%})")
        print(f"| {n} | " + " | ".join(cells) + " |")
    print(f"\nStrong scaling (global batch {a.batch}): step time in s (speed-up over one process)\n")
    print("| ranks | windows per rank | compute | " + " | ".join(name for name, _, _ in LINKS) + " |")
    print("|---|---|---|" + "---|" * len(LINKS))
    for n in [2, 5, 10, 25, 50]:
        if n > a.batch:
            continue
        compute = a.compute_s * math.ceil(a.batch / n) / a.batch
        cells = []
        for _, bw, lat in LINKS:
            step = compute + allreduce_s(n, nbytes, bw, lat)
            cells.append(f"{step:.3g} ({a.compute_s / step:.1f}x)")
        print(f"| {n} | {math.ceil(a.batch / n)} | {compute:.3g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
