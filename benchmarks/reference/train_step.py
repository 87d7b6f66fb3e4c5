"""PyTorch's world-model training step: the speed reference for benchmarks/train_step.

    python3 benchmarks/reference/train_step.py --model rssm|rssmo --setup visual|mdp --device cpu|cuda
        --steps N --warmup N --threads K [--size original|demo] [--batch 50] [--horizon 50] [--seed 0]
        [--graphs] [--compile]

The same step as aime's (torch_world_model.py mirrors our model layer for layer; the
cross-check proves it): filter over T steps, ELBO, backward, gradient clipping at 100, Adam
(lr 1e-3), the loss read back on the host. Same sensors and the same kind of fixed
synthetic batch. Eager PyTorch by default; on CUDA, --graphs captures the whole step in
one CUDA graph (torch.cuda.graphs with a capturable Adam) and --compile runs the model
through torch.compile. Prints one line per timed step, then one JSON object with the same
keys as aime's train_step: median_step_s, samples_per_s, peak_mib (CUDA: the caching
allocator's peak; CPU: the growth of the process's peak RSS over the timed steps' start,
which is what the step's working set costs) and peak_rss_mib.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_world_model as twm  # noqa: E402


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="rssmo", choices=["rssm", "rssmo"])
    ap.add_argument("--setup", default="visual", choices=["visual", "mdp"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--size", default="original", choices=["original", "demo"],
                    help="demo: the README demo's model (state 64 + 16, MLPs 64, cnn width 8), batch 16 x horizon 32")
    ap.add_argument("--batch", type=int, default=None, help="default 50 (demo: 16)")
    ap.add_argument("--horizon", type=int, default=None, help="default 50 (demo: 32)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--graphs", action="store_true", help="CUDA only: replay the step as one CUDA graph")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model's ELBO")
    a = ap.parse_args()
    demo = a.size == "demo"
    a.batch = a.batch if a.batch is not None else (16 if demo else 50)
    a.horizon = a.horizon if a.horizon is not None else (32 if demo else 50)
    if a.steps < 1 or a.warmup < 0 or a.threads < 1 or a.batch < 1 or a.horizon < 2:
        ap.error("need steps >= 1, warmup >= 0, threads >= 1, batch >= 1, horizon >= 2")
    device = torch.device(a.device)
    if a.graphs and device.type != "cuda":
        ap.error("--graphs needs --device cuda")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    sensors = [("image", (3, 64, 64))] if a.setup == "visual" else []
    sensors += [("orientations", (14,)), ("height", (1,)), ("velocity", (9,))] if a.model == "rssm" else \
               [("position", (8,)), ("velocity", (9,))]
    config = twm.original_config(a.model, a.setup, sensors, 6)
    if demo:  # as benchmarks/train_step.cpp --size demo
        config.update(deterministic_size=64, stochastic_size=16, hidden_size=64, head_hidden_size=64, cnn_width=8)
    model = twm.WorldModel(config).to(device)
    params = list(model.parameters())
    adam = torch.optim.Adam(params, lr=1e-3, capturable=a.graphs)
    T, B = a.horizon, a.batch
    data = {name: (torch.rand if len(shape) == 3 else torch.randn)(T, B, *shape, device=device) for name, shape in sensors}
    data["pre_action"] = torch.rand(T, B, 6, device=device) * 2 - 1
    noise = lambda shape, dtype, dev: torch.randn(shape, dtype=dtype, device=dev)
    elbo = torch.compile(model.elbo) if a.compile else model.elbo

    def step():
        adam.zero_grad(set_to_none=False)
        loss, _, _ = elbo(data, noise)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 100.0)
        adam.step()
        return loss

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    run = lambda: float(step())
    if a.graphs:
        # The documented whole-network capture: warm up on a side stream, then capture once.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_loss = step()

        def run():
            graph.replay()
            return float(static_loss)
    print(f"train_step.py: torch {torch.__version__} {a.model} {a.setup} on {device}, B={B} T={T}, {a.threads} threads, "
          f"{sum(p.numel() for p in params)} parameters{' (CUDA graph)' if a.graphs else ''}"
          f"{' (torch.compile)' if a.compile else ''}", file=sys.stderr)
    for _ in range(a.warmup):
        run()
    sync()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    rss_before = peak_rss_mib()
    times = []
    loss = 0.0
    for i in range(a.steps):
        t0 = time.perf_counter()
        loss = run()  # float(): the host reads the loss, the step is complete
        times.append(time.perf_counter() - t0)
        print(f"step {i}: {times[-1]:.4f} s, loss {loss:.4g}", file=sys.stderr)
    s = sorted(times)
    median = s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else peak_rss_mib() - rss_before
    print(json.dumps({
        "impl": "pytorch" + ("-graphs" if a.graphs else "") + ("-compile" if a.compile else ""),
        "torch": torch.__version__, "model": a.model, "setup": a.setup, "size": a.size, "device": str(device),
        "batch": B, "horizon": T,
        "threads": a.threads, "steps": a.steps, "warmup": a.warmup, "parameters": sum(p.numel() for p in params),
        "median_step_s": round(median, 6), "min_step_s": round(s[0], 6), "samples_per_s": round(B * T / median, 1),
        "peak_mib": round(peak, 1), "peak_rss_mib": round(peak_rss_mib(), 1), "last_loss": loss}))


if __name__ == "__main__":
    main()
