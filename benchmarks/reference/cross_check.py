"""The numerical cross-check: aime and PyTorch, same weights, same batch, same
noise, must give the same loss, ELBO, KL and gradients.

    train_step --model rssmo --setup visual --dtype float64 --batch 4 --horizon 6 --dump DIR
    python3 benchmarks/reference/cross_check.py DIR [--rtol 1e-4] [--device cpu|cuda]

Reads DIR/{weights,batch,expected}.safetensors (see benchmarks/train_step.cpp), builds
torch_world_model.WorldModel from the weights' metadata, loads the weights strictly, runs
one forward and backward with aime's Philox noise, and compares every tensor with
max|torch - aime| <= rtol * (1 + max|aime|) (normwise: in float32 a gradient that sums
thousands of products carries rounding relative to its largest entries, not to each entry). Prints the worst tensor; exits 1 on a mismatch.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_world_model as twm  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "U8": np.uint8}


def load_safetensors(path):
    """(tensors as numpy arrays, metadata): the format is an 8-byte little-endian header
    length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw bytes."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise SystemExit(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + begin:8 + n + end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    weights, meta = load_safetensors(os.path.join(args.dir, "weights.safetensors"))
    batch, _ = load_safetensors(os.path.join(args.dir, "batch.safetensors"))
    expected, _ = load_safetensors(os.path.join(args.dir, "expected.safetensors"))
    dtype = torch.float64 if meta["check.dtype"] == "float64" else torch.float32
    device = torch.device(args.device)

    model = twm.WorldModel(twm.config_from_metadata(meta)).to(dtype=dtype, device=device)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()}, strict=True)
    data = {k: torch.from_numpy(v.copy()).to(dtype=dtype, device=device) for k, v in batch.items()}
    loss, elbo, kl = model.elbo(data, twm.PhiloxNormal(int(meta["check.noise_seed"])))
    loss.backward()

    got = {"loss": loss, "elbo": elbo, "kl": kl}
    for name, p in model.named_parameters():
        if p.grad is not None:
            got["grad." + name] = p.grad
    missing = sorted(set(expected) ^ set(got))
    if missing:
        print(f"cross_check: tensors present on one side only: {missing[:8]}")
        return 1
    worst_name, worst = None, -1.0
    for name, want in expected.items():
        mine = got[name].detach().cpu().double().numpy()
        want = want.astype(np.float64)
        if mine.shape != want.shape:
            print(f"cross_check: {name}: shape {mine.shape} (torch) vs {want.shape} (aime)")
            return 1
        err = float(np.max(np.abs(mine - want)) / (1.0 + np.max(np.abs(want)))) if want.size else 0.0
        if err > worst:
            worst_name, worst = name, err
    c = model.c
    print(f"cross_check: {c['model']} inputs={twm.sensors_text(c['inputs'])} dtype={meta['check.dtype']} "
          f"device={args.device} B={data['pre_action'].shape[1]} T={data['pre_action'].shape[0]}: "
          f"loss {float(loss):.10g} (aime {float(expected['loss']):.10g}), {len(expected)} tensors, "
          f"worst max|torch - aime| / (1 + max|aime|) = {worst:.2e} at {worst_name} (tolerance {args.rtol:g})")
    if not worst <= args.rtol:
        print("cross_check: FAILED")
        return 1
    print("cross_check: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
