#!/usr/bin/python3
"""Record reference runs of the released openai/consistency_models editing functions.

What it records
---------------
It calls the released ``cm.karras_diffusion.iterative_colorization`` and
``iterative_superres`` (the latter fixes patch_size = 8) on the CPU with an
analytic distiller and writes one JSON file per case holding:

* ``images``: the input images (uniform in [-1, 1] from a torch.Generator
  seeded with seed + 1000), flattened row-major float32;
* ``draws``: every Gaussian draw in call order, from a torch.Generator seeded
  with the case's seed: first x_T (scaled by sigma_max = 80 here, as
  karras_sample does before it calls a sampler), then the draws of the
  released loop (one after every distiller call);
* ``calls``: every distiller call (``x`` flattened and the per-sample ``t``);
* ``reference``: the second value the function returns, the images after the
  released ``replacement(images, fill)`` (colorization) or
  ``average_image_patches`` (super-resolution);
* ``result``: the first value it returns.

The distiller is analytic and elementwise, in float32:

    D(x, t) = 1.5 * tanh(x / (1 + t) + 0.2 * sin(3 * x))

(its output reaches past [-1, 1], so the released clamp matters).

The iterative_inpainting function draws its mask from the letter "S" in
arial.ttf at 250 pt and needs batches of 7; it is not recorded here.

How to run (Debian's python3-torch and python3-numpy, system interpreter)
-----------------------------------------------------------------------
    /usr/bin/python3 record_released_editing.py RELEASED_CHECKOUT OUTPUT_DIR COMMIT

RELEASED_CHECKOUT holds ``cm/`` of openai/consistency_models at COMMIT.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from record_released_samplers import RecordingGenerator, f32_list, load_released, write_record  # noqa: E402

CASES = [
    dict(case="colorization_ts_0_20_39", function="iterative_colorization", shape=(2, 3, 4, 4),
         ts=(0, 20, 39), seed=11),
    dict(case="superres_ts_0_10_25_39", function="iterative_superres", shape=(2, 3, 16, 16),
         ts=(0, 10, 25, 39), seed=12),
]


def run_case(kd, spec, commit):
    import torch

    calls = []

    def distiller(x, t):
        calls.append({"x": f32_list(x), "t": f32_list(t)})
        return 1.5 * torch.tanh(x / (1 + t.reshape(-1, 1, 1, 1)) + 0.2 * torch.sin(3 * x))

    images_gen = torch.Generator(device="cpu")
    images_gen.manual_seed(spec["seed"] + 1000)
    images = torch.rand(spec["shape"], generator=images_gen, dtype=torch.float32) * 2 - 1
    images_in = f32_list(images)
    generator = RecordingGenerator(spec["seed"])
    x_t = generator.randn(*spec["shape"]) * 80.0
    fn = getattr(kd, spec["function"])
    result, reference = fn(distiller, images.clone(), x_t, list(spec["ts"]), t_min=0.002, t_max=80.0, rho=7.0,
                           steps=40, generator=generator)
    return {
        "case": spec["case"],
        "function": spec["function"],
        "shape": list(spec["shape"]),
        "ts": list(spec["ts"]),
        "steps": 40,
        "seed": spec["seed"],
        "images": images_in,
        "draws": generator.draws,
        "calls": calls,
        "reference": f32_list(reference),
        "result": f32_list(result),
        "released_commit": commit,
    }


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    released, out_dir, commit = os.path.abspath(argv[1]), os.path.abspath(argv[2]), argv[3]
    kd = load_released(released)
    for spec in CASES:
        write_record(out_dir, run_case(kd, spec, commit))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
