"""Writes the PyTorch fixtures of TorchCheckpointTest and ReleasedUNetTest (run with Debian's python3-torch):

  /usr/bin/python3 make_fixtures.py [RELEASED_REPO]     (default RELEASED_REPO: /work/scratch/cm-released)

RELEASED_REPO is a checkout of openai/consistency_models (commit e32b69e); its cm/unet.py UNetModel builds the tiny
U-Nets, so their parameter names, shapes and forward are the released code's. Two changes make them tiny and CPU-only,
neither of which touches a parameter: GroupNorm with 8 groups instead of 32 (cm4j's UNet.Config.groups), and the
attention of each AttentionBlock computed by that file's QKVAttention (channels (three, heads, head_dim), the layout
of the released flash path, in float32) instead of flash_attn, whose kernel would also need heads of >= 16 channels
(these have 8).

Files (all torch.save zips unless noted):
  tensors.pt                 float32/float16/bfloat16 tensors incl. special values, a transposed view, a strided
                             slice with an offset, two views of one storage, a stride-0 expansion, a 0-d and an empty
                             tensor, a nested dict and an int; tensors_expected.safetensors holds each as float32
  unet_cond_fp32.pt          class-conditional (10 classes), scale-shift norm, ResBlock up/down; float32, one weight
                             saved as a transposed view and two sharing one storage
  unet_cond_fp32_master.pt   the same weights saved as the released training code saves a use_fp16 run
                             (fp16_util.master_params_to_state_dict: views of two flat float32 master parameters)
  unet_cond_fp32_params.pt   the same weights saved as it saves a float32 run (the parameters themselves, pickled
                             through torch._utils._rebuild_parameter)
  unet_uncond_fp16.pt        unconditional, convolution resampling, use_fp16 (convolutions in float16, the rest
                             float32), saved as {"model": state_dict, "step": 100}
  unet_*.json                per tensor: shape and SHA-256 of its float32 little-endian bytes
  unet_*_forward.safetensors x, c_noise (250 ln sigma), labels (as float) and PyTorch's output in float32
"""
import copy
import hashlib
import json
import math
import os
import struct
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = sys.argv[1] if len(sys.argv) > 1 else "/work/scratch/cm-released"


def write_safetensors(path, tensors):
    """A minimal float32 safetensors writer (little-endian, header padded with spaces to a multiple of 8)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().float().contiguous().numpy().astype("<f4")  # keeps 0-d shapes
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def hashes(state):
    return {k: {"shape": list(v.shape),
                "sha256": hashlib.sha256(v.float().contiguous().numpy().astype("<f4").tobytes()).hexdigest()}
            for k, v in state.items()}


def tensors_fixture():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(4, 6, generator=g)
    shared = torch.randn(16, generator=g)
    special16 = torch.tensor([0.0, -0.0, 1.0, 65504.0, 6e-8, -2.5e-5, float("inf"), 0.1], dtype=torch.float16)
    special_bf16 = torch.tensor([1e38, -3.0e-39, 0.1, -7.25, float("-inf"), 1.0 / 3], dtype=torch.bfloat16)
    d = {
        "f32": torch.randn(3, 4, generator=g),
        "f16": torch.cat([special16, torch.randn(5, generator=g).half()]),
        "bf16": torch.cat([special_bf16, torch.randn(6, generator=g).bfloat16()]).reshape(3, 4),
        "transposed": base.t(),
        "sliced": base[1:, 1::2],
        "shared_a": shared[2:8],
        "shared_b": shared.view(4, 4),
        "expanded": torch.tensor([1.5, -2.0]).expand(3, 2),
        "scalar": torch.tensor(3.25),
        "empty": torch.zeros(0, 3),
        "nested": {"inner": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 7},
        "step": 7,
    }
    assert not d["transposed"].is_contiguous() and d["sliced"].storage_offset() > 0
    assert d["shared_a"].storage().data_ptr() == d["shared_b"].storage().data_ptr()
    torch.save(d, os.path.join(HERE, "tensors.pt"))
    flat = {k: v for k, v in d.items() if isinstance(v, torch.Tensor)}
    flat["nested.inner"] = d["nested"]["inner"]
    write_safetensors(os.path.join(HERE, "tensors_expected.safetensors"), flat)


def released_unet():
    """cm.unet of the released repository, with flash_attn stubbed (never called) and 8 GroupNorm groups."""
    for name in ["einops", "flash_attn", "flash_attn.flash_attention"]:
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["einops"].rearrange = None
    sys.modules["flash_attn.flash_attention"].FlashAttention = lambda **kw: None
    sys.path.insert(0, REPO)
    from cm import nn as cm_nn
    from cm import unet
    unet.normalization = lambda channels: cm_nn.GroupNorm32(8, channels)
    # flash_attn's kernel allows heads of 16, 32 or 64 channels only; tiny_unet puts QKVAttention in its place
    unet.QKVFlashAttention = lambda channels, num_heads: None
    return unet


def tiny_unet(unet, conditional, fp16, seed):
    m = unet.UNetModel(image_size=8, in_channels=3, model_channels=8, out_channels=3, num_res_blocks=1,
                       attention_resolutions=(2,), dropout=0.0, channel_mult=(1, 2),
                       num_classes=10 if conditional else None, use_fp16=False, num_head_channels=8,
                       use_scale_shift_norm=conditional, resblock_updown=conditional, conv_resample=True)
    for mod in m.modules():
        if isinstance(mod, unet.AttentionBlock):
            mod.attention = unet.QKVAttention(mod.num_heads)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():  # the zero-initialised output layers too, so the forward is not trivial
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 if p.dim() == 1 else 1.0 / math.sqrt(p[0].numel())))
    if fp16:
        m.convert_to_fp16()  # as use_fp16=True does: convolutions in float16
    return m.eval()


def forward(m, conditional, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 3, 8, 8, generator=g)
    sigma = torch.tensor([0.5, 20.0])
    c_noise = 250.0 * torch.log(sigma)  # the released models' c_noise: 1000 * 0.25 * ln(sigma)
    labels = torch.tensor([3, 7]) if conditional else None
    ref = copy.deepcopy(m)
    ref.convert_to_fp32()  # exact widening; the released code would run float16 on CUDA
    ref.dtype = torch.float32
    with torch.no_grad():
        out = ref(x, c_noise, labels)
    d = {"x": x, "c_noise": c_noise, "out": out}
    if conditional:
        d["labels"] = labels.float()
    return d


def unet_fixtures():
    unet = released_unet()
    # class-conditional, float32, with a non-contiguous and two storage-sharing tensors
    m = tiny_unet(unet, True, False, 2)
    sd = m.state_dict()
    w = sd["time_embed.0.weight"]
    sd["time_embed.0.weight"] = w.t().contiguous().t()
    a, b = sd["time_embed.0.bias"], sd["time_embed.2.bias"]
    both = torch.cat([a, b])
    sd["time_embed.0.bias"], sd["time_embed.2.bias"] = both[:a.numel()], both[a.numel():]
    assert not sd["time_embed.0.weight"].is_contiguous()
    torch.save(sd, os.path.join(HERE, "unet_cond_fp32.pt"))
    with open(os.path.join(HERE, "unet_cond_fp32.json"), "w") as f:
        json.dump(hashes(sd), f, indent=0)
    write_safetensors(os.path.join(HERE, "unet_cond_fp32_forward.safetensors"), forward(m, True, 3))
    from cm import fp16_util
    groups = fp16_util.get_param_groups_and_shapes(m.named_parameters())
    master = fp16_util.master_params_to_state_dict(m, groups, fp16_util.make_master_params(groups), True)
    assert len({v.storage().data_ptr() for v in master.values()}) == 2
    torch.save(master, os.path.join(HERE, "unet_cond_fp32_master.pt"))
    params = fp16_util.master_params_to_state_dict(m, None, list(m.parameters()), False)
    assert isinstance(params["out.2.weight"], torch.nn.Parameter)
    torch.save(params, os.path.join(HERE, "unet_cond_fp32_params.pt"))

    # unconditional, use_fp16, wrapped
    m = tiny_unet(unet, False, True, 4)
    sd = m.state_dict()
    assert sd["input_blocks.0.0.weight"].dtype == torch.float16 and sd["time_embed.0.weight"].dtype == torch.float32
    torch.save({"model": sd, "step": 100}, os.path.join(HERE, "unet_uncond_fp16.pt"))
    with open(os.path.join(HERE, "unet_uncond_fp16.json"), "w") as f:
        json.dump(hashes(sd), f, indent=0)
    write_safetensors(os.path.join(HERE, "unet_uncond_fp16_forward.safetensors"), forward(m, False, 5))


if __name__ == "__main__":
    tensors_fixture()
    unet_fixtures()
    for f in sorted(os.listdir(HERE)):
        print(f"{os.path.getsize(os.path.join(HERE, f)):>9}  {f}")
