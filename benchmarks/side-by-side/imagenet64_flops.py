"""FLOPs of one forward of the released ImageNet-64 U-Net per image (run with Debian's python3-torch):

  /usr/bin/python3 imagenet64_flops.py [RELEASED_REPO]     (default RELEASED_REPO: /work/scratch/cm-released)
  /usr/bin/python3 imagenet64_flops.py RELEASED_REPO time BATCH CALLS   (time CALLS forwards of BATCH images, 2 threads)

Builds cm/unet.py's UNetModel with the released ImageNet-64 arguments (cm4j's UNet.Config.imageNet64(): mc 192, mult
(1, 2, 3, 4), 3 ResBlocks, attention at 32, 16 and 8 with 64-channel heads, scale-shift norm, ResBlock up/down, 1000
classes; attention by the file's QKVAttention in float32 instead of flash_attn) and runs one image at 64x64 twice:

1. forward hooks count the multiply-adds of every Conv2d and Linear from their output shapes, and of each attention
   core with the released count_flops_attn (two matmuls of T^2 C multiply-adds: Q^T K and the weighted sum of V);
2. torch.profiler(with_flops=True) counts the same forward by aten op (its convention: 2 FLOPs per multiply-add for
   conv2d, mm, addmm, bmm; elementwise add/mul one per element).

One-step sampling is one network evaluation per image, so its FLOP count is the forward's. FLOP = 2 x multiply-add,
as in BASELINES.md. Prints both counts and the breakdown.
"""
import sys
import types
from collections import defaultdict

import torch

REPO = sys.argv[1] if len(sys.argv) > 1 else "/work/scratch/cm-released"
for name in ["einops", "flash_attn", "flash_attn.flash_attention"]:
    sys.modules.setdefault(name, types.ModuleType(name))
sys.modules["einops"].rearrange = None
sys.modules["flash_attn.flash_attention"].FlashAttention = lambda **kw: None
sys.path.insert(0, REPO)
from cm import unet  # noqa: E402

unet.QKVFlashAttention = lambda channels, num_heads: None
torch.manual_seed(0)
m = unet.UNetModel(image_size=64, in_channels=3, model_channels=192, out_channels=3, num_res_blocks=3,
                   attention_resolutions=(2, 4, 8), dropout=0.0, channel_mult=(1, 2, 3, 4), num_classes=1000,
                   use_fp16=False, num_head_channels=64, use_scale_shift_norm=True, resblock_updown=True,
                   conv_resample=True)
for mod in m.modules():
    if isinstance(mod, unet.AttentionBlock):
        mod.attention = unet.QKVAttention(mod.num_heads)
m.eval()
print("parameters", sum(p.numel() for p in m.parameters()))

if len(sys.argv) > 2 and sys.argv[2] == "time":
    import time
    torch.set_num_threads(2)
    batch, calls = int(sys.argv[3]), int(sys.argv[4])
    x = torch.randn(batch, 3, 64, 64)
    c_noise = torch.full((batch,), 250.0 * 4.3820266)  # 250 ln(80): one step from sigma_max
    y = torch.arange(batch) % 1000
    with torch.no_grad():
        for call in range(calls + 1):
            start = time.perf_counter()
            m(x, c_noise, y)
            sec = time.perf_counter() - start
            print(f"{'warm-up' if call == 0 else 'timed'} call {call}: {sec:.2f} s, {sec / batch:.2f} s per image")
    sys.exit(0)

macs = defaultdict(int)


def hook(mod, inputs, out):
    if isinstance(mod, torch.nn.Conv2d):
        k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
        macs["conv2d"] += out.numel() * k
    elif isinstance(mod, torch.nn.Linear):
        macs["linear"] += out.numel() * mod.in_features
    elif isinstance(mod, torch.nn.Conv1d):
        macs["conv1d (attention qkv, proj_out)"] += out.numel() * mod.kernel_size[0] * mod.in_channels // mod.groups
    elif isinstance(mod, unet.QKVAttention):
        b, c, t = out.shape
        macs["attention core (2 T^2 C)"] += 2 * b * t * t * c


for mod in m.modules():
    mod.register_forward_hook(hook)

x = torch.randn(1, 3, 64, 64)
c_noise = torch.tensor([250.0 * 0.9162907])  # 250 ln(2.5)
y = torch.tensor([145])
with torch.no_grad(), torch.profiler.profile(with_flops=True) as prof:
    m(x, c_noise, y)

total = sum(macs.values())
for k, v in macs.items():
    print(f"{k:34s} {v:>16,d} multiply-adds  {2 * v / 1e9:9.3f} GFLOP")
print(f"{'hooks total':34s} {total:>16,d} multiply-adds  {2 * total / 1e9:9.3f} GFLOP")
by_op = defaultdict(int)
for e in prof.key_averages():
    if e.flops:
        by_op[e.key] += e.flops
for k, v in sorted(by_op.items(), key=lambda kv: -kv[1]):
    print(f"profiler {k:25s} {v:>16,d} FLOP")
print(f"profiler total {sum(by_op.values()):,d} FLOP")
