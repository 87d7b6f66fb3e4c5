"""How much of the simulator's true state a world model's filtered states carry.

    python3 scripts/state_probe.py --model runs/demo/model --data runs/demo/data [--aime build/apps/aime]

Runs `aime filter` over the first 10 episodes of DATA/mix (the embodiment data the model trained
on) and of DATA/expert (the demonstrations), then fits ridge regressions from the filtered
features (the deterministic state and the posterior sample, as every policy reads them) to the
episodes' true `position` and `velocity` on 8 embodiment episodes, and prints R^2 on the other 2
and on the demonstrations: linear features, and linear plus quadratic ones (a small non-linear
read-out). A policy acting on the states cannot use what they do not carry: on cartpole BC
balances the pole only with its velocities (docs/results.md, "Why every pixel policy stops at a
third of the expert"), so the pole's sin and angular velocity are the columns to watch.

The first 5 steps of each episode are left out (the filter starts from nothing). Needs numpy.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

EPISODES, SKIP, TRAIN = 10, 5, 8


def filtered(aime, model, folder, out):
    p = subprocess.run([aime, "filter", "--model", model, "--dataset", folder, "--episodes", str(EPISODES), "--out", out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"state_probe: aime filter on {folder} failed (it needs {EPISODES} episodes):\n{p.stderr.strip()}")
    states = np.load(out)
    xs, ys = [], []
    for i in range(EPISODES):
        path = os.path.join(folder, f"{i}.npz")
        e = np.load(path)
        for key in ("position", "velocity"):
            if key not in e.files:
                sys.exit(f"state_probe: {path} has no '{key}' (the true state); found {sorted(e.files)}")
        xs.append(states[f"feature_{i}"][SKIP:])
        ys.append(np.concatenate([e["position"], e["velocity"]], 1)[SKIP:])
    return xs, ys


def quadratic(x):
    iu = np.triu_indices(x.shape[1])
    return np.concatenate([x, (x[:, :, None] * x[:, None, :])[:, iu[0], iu[1]]], 1)


def ridge(x, y, lam):
    x = np.concatenate([x, np.ones((len(x), 1))], 1)
    w = np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)
    return lambda z: np.concatenate([z, np.ones((len(z), 1))], 1) @ w


def r2(y, p):
    return 1 - ((y - p) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="folder with mix/ and expert/ (demo.sh's OUT/data)")
    ap.add_argument("--aime", default=os.path.join("build", "apps", "aime"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        xm, ym = filtered(a.aime, a.model, os.path.join(a.data, "mix"), os.path.join(tmp, "mix.npz"))
        xe, ye = filtered(a.aime, a.model, os.path.join(a.data, "expert"), os.path.join(tmp, "expert.npz"))
    xtr, ytr = np.concatenate(xm[:TRAIN]), np.concatenate(ym[:TRAIN])
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-6
    norm = lambda x: (x - mu) / sd
    held = (norm(np.concatenate(xm[TRAIN:])), np.concatenate(ym[TRAIN:]))
    demos = (norm(np.concatenate(xe)), np.concatenate(ye))
    npos = ytr.shape[1] - np.load(os.path.join(a.data, "mix", "0.npz"))["velocity"].shape[1]
    names = [f"position[{j}]" for j in range(npos)] + [f"velocity[{j}]" for j in range(ytr.shape[1] - npos)]
    print(f"R^2 of the true state from {a.model}'s filtered features ({xtr.shape[1]} values), "
          f"fitted on {TRAIN} of {os.path.join(a.data, 'mix')}'s episodes:")
    print("| read-out | scored on | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for kind, feats, lam in (("linear", lambda x: x, 1.0), ("quadratic", quadratic, 30.0)):
        f = ridge(feats(norm(xtr)), ytr, lam)
        for where, (x, y) in (("held-out embodiment episodes", held), ("demonstrations", demos)):
            print(f"| {kind} | {where} | " + " | ".join(f"{v:.3f}" for v in r2(y, f(feats(x)))) + " |")


if __name__ == "__main__":
    main()
