#!/usr/bin/python3
"""The PyTorch side of the U-Net side by side (run.sh block `unet`).

usage:
  unet_peer.py check DIR [--tol 1e-4]
      loads DIR/unet-weights.safetensors and DIR/unet-io.safetensors (written by dev.cm4j.benchmarks.UNetExport),
      builds unet_torch.UNet from the config in the weights' metadata, checks the parameter names, shapes and count,
      runs x through it and compares with cm4j's output: max |y_torch - y_cm4j| / max |y_cm4j| < tol, else exit 1.
  unet_peer.py time DIR --what train|sample --batches 32,64 [--json FILE] [--threads 2]
      train: one step = zero_grad, forward on (B, in, S, S) with per-sample c_noise, MSE against a fixed target,
             backward, Adam (lr 1e-4); network in train mode (dropout as configured).
      sample: one forward pass in eval mode under torch.no_grad() (one-step sampling's network evaluation).
      Per batch: warm-up (at least --warmup-calls calls and --warmup-s seconds), then each call timed on its own
      (at least --calls calls and --min-s seconds); prints and writes the median, min, max and mean ms per call.

Run with Debian's interpreter, /usr/bin/python3 (python3-torch, python3-numpy).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_np  # noqa: E402
import unet_torch  # noqa: E402

# UNet.Config.small28(): the count both sides must build (cm4j's UNetTest and the issue name it)
SMALL28_PARAMETERS = 1_742_881


def load_net(d):
    weights, meta = safetensors_np.read(os.path.join(d, "unet-weights.safetensors"))
    cfg = json.loads(meta["config"])
    net = unet_torch.UNet(cfg)
    ours = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in weights.items()}
    missing, extra = sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))
    if missing or extra:
        sys.exit(f"unet_peer: parameter names differ: only in cm4j's file {missing[:10]}, only in PyTorch's "
                 f"{extra[:10]} ({len(missing)} and {len(extra)} in all)")
    wrong = [(k, theirs[k], ours[k]) for k in ours if theirs[k] != ours[k]]
    if wrong:
        sys.exit(f"unet_peer: parameter shapes differ (name, cm4j, PyTorch): {wrong[:10]}")
    count = sum(p.numel() for p in net.parameters())
    if count != int(meta["parameter_count"]):
        sys.exit(f"unet_peer: PyTorch's network has {count:,} parameters, cm4j's file says {meta['parameter_count']}")
    if meta.get("preset") == "small28" and count != SMALL28_PARAMETERS:
        sys.exit(f"unet_peer: small28 has {count:,} parameters on both sides, expected {SMALL28_PARAMETERS:,}")
    net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=True)
    same_order = list(weights) == list(net.state_dict())
    return net, cfg, meta, count, same_order


def check(args):
    net, cfg, meta, count, same_order = load_net(args.dir)
    io, _ = safetensors_np.read(os.path.join(args.dir, "unet-io.safetensors"))
    labels = torch.from_numpy(io["labels"]).long() if "labels" in io else None
    net.eval()
    with torch.no_grad():
        y = net(torch.from_numpy(io["x"]), torch.from_numpy(io["c_noise"]), labels).numpy()
    ref = io["y"]
    scale = float(np.abs(ref).max())
    diff = float(np.abs(y.astype(np.float64) - ref).max())
    rel = diff / scale if scale > 0 else float("inf")
    print(f"unet_peer check: {meta.get('preset')} {count:,} parameters, names and shapes equal"
          f" ({'same' if same_order else 'different'} order), batch {ref.shape[0]}, output max |y| {scale:.4g},"
          f" max |diff| {diff:.3g}, relative {rel:.3g} (tolerance {args.tol:g})")
    if not rel < args.tol:
        sys.exit("unet_peer check: FAILED, the two networks disagree")
    print("unet_peer check: OK")


def timed(fn, warmup_calls, warmup_s, calls, min_s):
    t0 = time.perf_counter()
    n = 0
    while n < warmup_calls or time.perf_counter() - t0 < warmup_s:
        fn()
        n += 1
    ms = []
    t0 = time.perf_counter()
    while len(ms) < calls or time.perf_counter() - t0 < min_s:
        a = time.perf_counter()
        fn()
        ms.append(1e3 * (time.perf_counter() - a))
    return {"median_ms": statistics.median(ms), "min_ms": min(ms), "max_ms": max(ms),
            "mean_ms": statistics.fmean(ms), "calls": len(ms), "warmup_calls": n}


def time_cmd(args):
    torch.set_num_threads(args.threads)
    net, cfg, meta, count, _ = load_net(args.dir)
    s, cin = cfg["imageSize"], cfg["inChannels"]
    gen = torch.Generator().manual_seed(1)
    results = []
    for b in [int(v) for v in args.batches.split(",")]:
        x = torch.randn(b, cin, s, s, generator=gen)
        c_noise = torch.rand(b, generator=gen) * 4 - 2
        labels = torch.randint(cfg["numClasses"], (b,), generator=gen) if cfg["numClasses"] > 0 else None
        if args.what == "train":
            net.train()
            target = torch.randn(b, cfg["outChannels"], s, s, generator=gen)
            opt = torch.optim.Adam(net.parameters(), lr=1e-4)

            def step():
                opt.zero_grad(set_to_none=True)
                loss = F.mse_loss(net(x, c_noise, labels), target)
                loss.backward()
                opt.step()
                return loss.item()
            fn = step
        else:
            net.eval()

            def sample():
                with torch.no_grad():
                    return net(x, c_noise, labels)
            fn = sample
        r = timed(fn, args.warmup_calls, args.warmup_s, args.calls, args.min_s)
        r.update({"what": args.what, "batch": b, "threads": torch.get_num_threads(),
                  "images_per_s": 1e3 * b / r["median_ms"]})
        print(f"{args.what} batch {b}: median {r['median_ms']:.1f} ms per call ({r['min_ms']:.1f}-{r['max_ms']:.1f},"
              f" {r['calls']} calls), {r['images_per_s']:.1f} images/s", flush=True)
        results.append(r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "parameters": count, "preset": meta.get("preset"),
                       "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "results": results}, f, indent=1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("dir")
    c.add_argument("--tol", type=float, default=1e-4)
    t = sub.add_parser("time")
    t.add_argument("dir")
    t.add_argument("--what", choices=["train", "sample"], required=True)
    t.add_argument("--batches", default="32,64")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--warmup-calls", type=int, default=3)
    t.add_argument("--warmup-s", type=float, default=9.0)
    t.add_argument("--calls", type=int, default=5)
    t.add_argument("--min-s", type=float, default=15.0)
    t.add_argument("--json")
    args = p.parse_args()
    if args.cmd == "check":
        check(args)
    else:
        time_cmd(args)


if __name__ == "__main__":
    main()
