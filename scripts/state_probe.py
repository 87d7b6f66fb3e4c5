"""How much of the simulator's true state a world model's filtered states carry.

    python3 scripts/state_probe.py --model runs/demo/model --data runs/demo/data [--aime build/apps/aime]
                                   [--episodes 10 --folds 1]

Runs `aime filter` over the first 10 episodes (--episodes) of DATA/mix (the embodiment data the model trained
on) and of DATA/expert (the demonstrations), then fits ridge regressions from the filtered
features (the deterministic state and the posterior sample, as every policy reads them) to the
episodes' true `position` and `velocity` on 8 embodiment episodes, and prints R^2 on the other 2
and on the demonstrations: linear features, and linear plus quadratic ones (a small non-linear
read-out). A policy acting on the states cannot use what they do not carry: on cartpole BC
balances the pole only with its velocities (docs/results.md, "Why every pixel policy stops at a
third of the expert"), so the pole's sin and angular velocity are the columns to watch.

With --episodes N --folds K (K > 1) it filters N embodiment episodes and scores the read-outs by
K-fold cross-validation over them (each episode held out once, R^2 over all of them pooled), and
scores the demonstrations with read-outs fitted on all N: two held-out episodes (the default) make
a noisy gauge when comparing models.

The first 5 steps of each episode are left out (the filter starts from nothing). Needs numpy.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

SKIP = 5


def filtered(aime, model, folder, out, episodes, mean):
    p = subprocess.run([aime, "filter", "--model", model, "--dataset", folder, "--episodes", str(episodes), "--out", out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"state_probe: aime filter on {folder} failed (it needs {episodes} episodes):\n{p.stderr.strip()}")
    states = np.load(out)
    xs, ys = [], []
    for i in range(episodes):
        path = os.path.join(folder, f"{i}.npz")
        e = np.load(path)
        for key in ("position", "velocity"):
            if key not in e.files:
                sys.exit(f"state_probe: {path} has no '{key}' (the true state); found {sorted(e.files)}")
        x = states[f"feature_{i}"]
        if mean:  # the posterior's mean in place of its sample (the feature's last stochastic-size values)
            m = states[f"posterior_mean_{i}"]
            x = np.concatenate([x[:, :x.shape[1] - m.shape[1]], m], 1)
        xs.append(x[SKIP:])
        ys.append(np.concatenate([e["position"], e["velocity"]], 1)[SKIP:])
    return xs, ys


QUADRATIC_MAX = 80  # products of at most this many (principal) components: 3,321 terms


def quadratic_of(x):
    """The linear-plus-quadratic features of normalised features like x: all products of pairs, of
    the first QUADRATIC_MAX principal components (of x) where there are more features than that, so
    that larger states are read out by as many terms as the demo's 80 values."""
    rot = None
    if x.shape[1] > QUADRATIC_MAX:
        rot = np.linalg.svd(x - x.mean(0), full_matrices=False)[2][:QUADRATIC_MAX].T
    iu = np.triu_indices(QUADRATIC_MAX if rot is not None else x.shape[1])

    def feats(z):
        q = z if rot is None else z @ rot
        return np.concatenate([z, (q[:, :, None] * q[:, None, :])[:, iu[0], iu[1]]], 1)
    return feats


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
    ap.add_argument("--episodes", type=int, default=10, help="embodiment episodes to filter (and demonstrations, at most 10)")
    ap.add_argument("--folds", type=int, default=1,
                    help="1: fit on the first 80%% of the episodes, score on the rest; K > 1: K-fold cross-validation")
    ap.add_argument("--upright", action="store_true",
                    help="also score the demonstrations' steps with the pole near upright (cartpole: position[1] is its cos)")
    ap.add_argument("--mean", action="store_true",
                    help="read the posterior's mean instead of its sample (a policy reads the sample)")
    a = ap.parse_args()
    if a.episodes < 2 or not 1 <= a.folds <= a.episodes:
        sys.exit(f"state_probe: needs --episodes >= 2 and 1 <= --folds <= --episodes, got {a.episodes} and {a.folds}")
    with tempfile.TemporaryDirectory() as tmp:
        xm, ym = filtered(a.aime, a.model, os.path.join(a.data, "mix"), os.path.join(tmp, "mix.npz"), a.episodes, a.mean)
        xe, ye = filtered(a.aime, a.model, os.path.join(a.data, "expert"), os.path.join(tmp, "expert.npz"),
                          min(a.episodes, 10), a.mean)
    n = a.episodes
    if a.folds == 1:
        train = n - max(1, n // 5)
        splits = [(list(range(train)), list(range(train, n)))]
        fitted_on = f"fitted on {train} of {os.path.join(a.data, 'mix')}'s episodes"
    else:
        splits = [([i for i in range(n) if i % a.folds != k], [i for i in range(n) if i % a.folds == k])
                  for k in range(a.folds)]
        fitted_on = f"{a.folds}-fold cross-validated over {n} of {os.path.join(a.data, 'mix')}'s episodes"
    if a.upright and ym[0].shape[1] - np.load(os.path.join(a.data, "mix", "0.npz"))["velocity"].shape[1] < 2:
        sys.exit(f"state_probe: --upright reads the pole's cos as position[1]; {os.path.join(a.data, 'mix', '0.npz')} "
                 "has fewer than 2 position values")
    npos = ym[0].shape[1] - np.load(os.path.join(a.data, "mix", "0.npz"))["velocity"].shape[1]
    names = [f"position[{j}]" for j in range(npos)] + [f"velocity[{j}]" for j in range(ym[0].shape[1] - npos)]
    print(f"R^2 of the true state from {a.model}'s filtered features ({xm[0].shape[1]} values), {fitted_on}:")
    print("| read-out | scored on | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))

    def fit(episodes, feats, lam):  # a read-out fitted on these embodiment episodes, normalised by them
        x, y = np.concatenate([xm[i] for i in episodes]), np.concatenate([ym[i] for i in episodes])
        mu, sd = x.mean(0), x.std(0) + 1e-6
        g = feats((x - mu) / sd)
        f = ridge(g((x - mu) / sd), y, lam)
        return lambda z: f(g((z - mu) / sd))

    for kind, feats, lam in (("linear", lambda x: (lambda z: z), 1.0), ("quadratic", quadratic_of, 30.0)):
        ys, ps = [], []
        for train, held in splits:
            f = fit(train, feats, lam)
            ys += [ym[i] for i in held]
            ps += [f(xm[i]) for i in held]
        if a.folds > 1:  # the demonstrations are scored by a read-out of all N (one split: its own)
            f = fit(range(n), feats, lam)
        rows = [("held-out embodiment episodes", np.concatenate(ys), np.concatenate(ps)),
                ("demonstrations", np.concatenate(ye), f(np.concatenate(xe)))]
        if a.upright:  # the steps where balancing happens: cos of the pole's angle (position[1]) above 0.9
            near = rows[1][1][:, 1] > 0.9
            rows.append(("demonstrations, pole within 25 degrees of upright", rows[1][1][near], rows[1][2][near]))
        for where, y, p in rows:
            print(f"| {kind} | {where} | " + " | ".join(f"{v:.3f}" for v in r2(y, p)) + " |")


if __name__ == "__main__":
    main()
