#!/usr/bin/python3
"""Record reference runs of the released openai/consistency_models samplers.

What it records
---------------
For five cases (multistep with two ts lists, onestep, heun without and with
churn) it calls the released ``cm.karras_diffusion.karras_sample`` with a
released ``KarrasDenoiser`` (sigma_data=0.5, sigma_max=80, sigma_min=0.002,
rho=7), shape (2, 3, 4, 4), clip_denoised=True, on the CPU, and writes one JSON
file per case holding:

* every Gaussian draw, in call order (shape and flattened row-major float32
  values), taken from a torch.Generator seeded with the case's seed;
* every network call: the input u = c_in * x_t (flattened), the per-sample
  noise conditioning c that the released ``denoise`` passes
  (1000 * 0.25 * ln(sigma + 1e-44)), and the output; plus, for debugging,
  the per-sample sigma given to ``denoise`` and the denoised value it returned
  (before the clamp done by karras_sample's inner ``denoiser``);
* the Karras sigma grid built by the released ``get_sigmas_karras``;
* for multistep, the Python-double t, next_t and noise scale of each step
  (recomputed here with the released expressions);
* the final tensor returned by ``karras_sample``.

The network is analytic: F(u, c) = tanh(u + 0.1 * c / 250), elementwise in
float32, with c (one value per sample) broadcast over C, H, W.

Floats are written as repr(float(v)) of float32 values, so they round-trip
float32 exactly.  A non-finite s_tmax (the released default, inf) is written as
the JSON string "Infinity" (Double.parseDouble accepts it).

Requirements
------------
Debian's ``python3-torch`` and ``python3-numpy`` (apt-get install -y
python3-torch python3-numpy), run with the system interpreter /usr/bin/python3.
The released modules it does not need (piq, torchvision, blobfile, mpi4py via
cm.dist_util) are stubbed through sys.modules; the released files are not
edited.

How to run
----------
    /usr/bin/python3 record_released_samplers.py RELEASED_CHECKOUT OUTPUT_DIR [COMMIT]

RELEASED_CHECKOUT is a checkout (or ``git archive`` export) of
openai/consistency_models (the folder holding ``cm/``); COMMIT is the commit
hash of that checkout, recorded in each file (if omitted, ``git rev-parse
HEAD`` is tried in RELEASED_CHECKOUT).
"""

import json
import math
import os
import subprocess
import sys
import types


def install_stubs():
    """Stub the modules karras_diffusion imports but sampling never uses."""

    class _LPIPS:  # only constructed by KarrasDenoiser(loss_norm="lpips")
        def __init__(self, *args, **kwargs):
            pass

    piq = types.ModuleType("piq")
    piq.LPIPS = _LPIPS
    sys.modules["piq"] = piq

    class _RandomCrop:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("torchvision stub: RandomCrop not available")

    tv = types.ModuleType("torchvision")
    tvt = types.ModuleType("torchvision.transforms")
    tvt.RandomCrop = _RandomCrop
    tv.transforms = tvt
    sys.modules["torchvision"] = tv
    sys.modules["torchvision.transforms"] = tvt

    du = types.ModuleType("cm.dist_util")

    def _dev():
        import torch

        return torch.device("cpu")

    du.dev = _dev
    sys.modules["cm.dist_util"] = du


def f32_list(t):
    import torch

    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def json_float(v):
    v = float(v)
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if math.isnan(v):
        return "NaN"
    return v


class RecordingGenerator:
    """Generator with the methods karras_sample and the samplers call
    (randn(*shape, device=...) and randn_like(x)), backed by a seeded CPU
    torch.Generator, drawing float32; records each draw in call order."""

    def __init__(self, seed):
        import torch

        self.torch = torch
        self.gen = torch.Generator(device="cpu")
        self.gen.manual_seed(seed)
        self.draws = []

    def _record(self, t):
        self.draws.append({"shape": list(t.shape), "values": f32_list(t)})
        return t

    def randn(self, *shape, device=None, dtype=None):
        torch = self.torch
        if len(shape) == 1 and isinstance(shape[0], (tuple, list, torch.Size)):
            shape = tuple(shape[0])
        t = torch.randn(*shape, generator=self.gen, dtype=torch.float32, device="cpu")
        self._record(t)
        return t.to(device) if device is not None else t

    def randn_like(self, x):
        torch = self.torch
        t = torch.randn(x.shape, generator=self.gen, dtype=torch.float32, device="cpu")
        self._record(t)
        return t.to(dtype=x.dtype, device=x.device)


def make_model(calls):
    import torch

    class AnalyticModel(torch.nn.Module):
        """F(u, c) = tanh(u + 0.1 * c / 250), float32, c broadcast over C,H,W."""

        def forward(self, u, c, **kwargs):
            u = u.to(torch.float32)
            c = c.to(torch.float32)
            shift = (0.1 * c / 250).reshape(-1, *([1] * (u.ndim - 1)))
            out = torch.tanh(u + shift)
            calls.append(
                {"input": f32_list(u), "c_noise": f32_list(c), "output": f32_list(out)}
            )
            return out

    return AnalyticModel()


CASES = [
    dict(case="multistep_ts_0_22_39", sampler="multistep", distillation=True,
         steps=40, ts=(0, 22, 39), seed=1),
    dict(case="multistep_ts_0_10_25_39", sampler="multistep", distillation=True,
         steps=40, ts=(0, 10, 25, 39), seed=2),
    dict(case="onestep", sampler="onestep", distillation=True, steps=40, seed=3),
    dict(case="heun_18", sampler="heun", distillation=False, steps=18,
         s_churn=0.0, seed=4),
    dict(case="heun_18_churn", sampler="heun", distillation=False, steps=18,
         s_churn=40.0, s_tmin=0.05, s_tmax=50.0, s_noise=1.003, seed=5),
]


def run_case(kd, spec, commit):
    import inspect

    import torch

    sigma_min, sigma_max, sigma_data, rho = 0.002, 80.0, 0.5, 7.0
    shape = (2, 3, 4, 4)

    # Defaults of the released karras_sample for the churn parameters.
    params = inspect.signature(kd.karras_sample).parameters
    s_churn = spec.get("s_churn", params["s_churn"].default)
    s_tmin = spec.get("s_tmin", params["s_tmin"].default)
    s_tmax = spec.get("s_tmax", params["s_tmax"].default)
    s_noise = spec.get("s_noise", params["s_noise"].default)

    diffusion = kd.KarrasDenoiser(
        sigma_data=sigma_data, sigma_max=sigma_max, sigma_min=sigma_min,
        rho=rho, distillation=spec["distillation"],
    )

    # Observe (not change) the released denoise: record the sigma it gets and
    # the denoised value it returns, in the same order as the model calls.
    denoise_log = []
    released_denoise = diffusion.denoise

    def observed_denoise(model, x_t, sigmas, **model_kwargs):
        model_output, denoised = released_denoise(model, x_t, sigmas, **model_kwargs)
        denoise_log.append({"sigma": f32_list(sigmas), "denoised": f32_list(denoised)})
        return model_output, denoised

    diffusion.denoise = observed_denoise

    calls = []
    model = make_model(calls)
    generator = RecordingGenerator(spec["seed"])

    sample = kd.karras_sample(
        diffusion,
        model,
        shape,
        steps=spec["steps"],
        clip_denoised=True,
        progress=False,
        model_kwargs={},  # the released default None would fail at **model_kwargs
        device="cpu",
        sigma_min=sigma_min,
        sigma_max=sigma_max,
        rho=rho,
        sampler=spec["sampler"],
        s_churn=s_churn,
        s_tmin=s_tmin,
        s_tmax=s_tmax,
        s_noise=s_noise,
        generator=generator,
        ts=spec.get("ts"),
    )
    assert len(calls) == len(denoise_log)
    for call, d in zip(calls, denoise_log):
        call.update(d)

    if spec["sampler"] == "progdist":
        grid = kd.get_sigmas_karras(spec["steps"] + 1, sigma_min, sigma_max, rho, device="cpu")
    else:
        grid = kd.get_sigmas_karras(spec["steps"], sigma_min, sigma_max, rho, device="cpu")

    rec = {
        "case": spec["case"],
        "sampler": spec["sampler"],
        "distillation": spec["distillation"],
        "steps": spec["steps"],
        "ts": list(spec["ts"]) if spec.get("ts") is not None else None,
        "sigma_min": sigma_min,
        "sigma_max": sigma_max,
        "sigma_data": sigma_data,
        "rho": rho,
        "s_churn": json_float(s_churn),
        "s_tmin": json_float(s_tmin),
        "s_tmax": json_float(s_tmax),
        "s_noise": json_float(s_noise),
        "clip_denoised": True,
        "shape": list(shape),
        "seed": spec["seed"],
        "sigmas": f32_list(grid),
        "sigmas_dtype": str(grid.dtype),
        "draws": generator.draws,
        "calls": calls,
        "sample": f32_list(sample),
        "sample_dtype": str(sample.dtype),
        "released_commit": commit,
    }
    if spec["sampler"] == "multistep":
        rec["multistep_schedule"] = multistep_schedule(
            spec["ts"], sigma_min, sigma_max, diffusion.rho, spec["steps"]
        )
    return rec


def multistep_schedule(ts, t_min, t_max, rho, steps):
    """Python-double values of t, next_t (after np.clip) and the noise scale
    sqrt(next_t**2 - t_min**2) per step, recomputed with the same expressions
    as the released stochastic_iterative_sampler (not read out of it)."""
    import numpy as np

    t_max_rho = t_max ** (1 / rho)
    t_min_rho = t_min ** (1 / rho)
    out = []
    for i in range(len(ts) - 1):
        t = (t_max_rho + ts[i] / (steps - 1) * (t_min_rho - t_max_rho)) ** rho
        next_t = (t_max_rho + ts[i + 1] / (steps - 1) * (t_min_rho - t_max_rho)) ** rho
        next_t = np.clip(next_t, t_min, t_max)
        out.append({"t": float(t), "next_t": float(next_t),
                    "noise_scale": float(np.sqrt(next_t**2 - t_min**2))})
    return out


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    released, out_dir = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    commit = argv[3] if len(argv) > 3 else None
    if commit is None:
        try:
            commit = subprocess.check_output(
                ["git", "-C", released, "rev-parse", "HEAD"], text=True
            ).strip()
        except Exception:
            commit = "unknown"

    kd = load_released(released)
    for spec in CASES:
        write_record(out_dir, run_case(kd, spec, commit))
    return 0


def load_released(released):
    """The released cm.karras_diffusion from the checkout, its unused imports stubbed, torch in float32 on one
    thread."""
    install_stubs()
    sys.path.insert(0, released)
    import torch

    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(1)
    from cm import karras_diffusion as kd

    return kd


def write_record(out_dir, rec):
    """Writes one case as OUT_DIR/<case>.json."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, rec["case"] + ".json")
    with open(path, "w") as fh:
        json.dump(rec, fh, allow_nan=False)
        fh.write("\n")
    print("%s: draws=%d calls=%d -> %s" % (rec["case"], len(rec["draws"]), len(rec["calls"]), path))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
