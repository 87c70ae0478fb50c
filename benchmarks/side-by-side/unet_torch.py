"""cm4j's U-Net (dev.cm4j.models.unet.UNet) in PyTorch, the peer of the side-by-side benchmark.

The architecture is ADM's UNetModel as openai/consistency_models releases it (cm/unet.py), written here for the
benchmark from cm4j's description of it, and built from the fields of cm4j's UNet.Config (camelCase, as UNetExport
writes them into the weights' metadata), so every preset builds. Parameter names and shapes are the released code's,
which are cm4j's, so one safetensors file loads on both sides:

  time_embed.{0,2}     Linear(mc, 4mc), SiLU, Linear(4mc, 4mc) on the sinusoidal embedding of c_noise
  label_emb            Embedding(classes, 4mc) (class-conditional configurations only)
  input_blocks.N.M     conv3x3 stem; per level numResBlocks ResBlocks (+ attention), then a down block
  middle_block.{0,1,2} ResBlock, AttentionBlock, ResBlock
  output_blocks.N.M    per level, deepest first, numResBlocks + 1 ResBlocks on cat(h, skip) (+ attention, + up block)
  out.{0,2}            GroupNorm, SiLU, conv3x3

Numerics follow the released code: GroupNorm eps 1e-5; the timestep embedding [cos, sin] of t * f_i with
f_i = exp(-ln(10000) i / half) in float32; attention over channels ordered (three, heads, head_dim), softmax of
q.k / sqrt(head_dim); scale-shift GN(h) (1 + scale) + shift with (scale, shift) the two halves of the embedding
projection; the skip path a 1x1 convolution when the channel count changes.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim, max_period=10000.0):
    """t (N) -> (N, dim): [cos(t f), sin(t f)], f_i = exp(-ln(max_period) i / half), a zero column for odd dim."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class EmbSequential(nn.Sequential):
    """Children "0", "1", ...; ResBlocks also receive the embedding."""

    def forward(self, x, emb):
        for layer in self:
            x = layer(x, emb) if isinstance(layer, ResBlock) else layer(x)
        return x


class Downsample(nn.Module):
    """Halves H and W: 3x3 convolution of stride 2 (child "op") or a 2x2 average pool."""

    def __init__(self, channels, use_conv):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1) if use_conv else nn.AvgPool2d(2)

    def forward(self, x):
        return self.op(x)


class Upsample(nn.Module):
    """Nearest 2x, then optionally a 3x3 convolution (child "conv")."""

    def __init__(self, channels, use_conv):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1) if use_conv else None

    def forward(self, x):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.conv(x) if self.conv is not None else x


class ResBlock(nn.Module):
    """GN, SiLU, conv3x3; + embedding (added, or scale-shift); GN, SiLU, dropout, conv3x3; + skip."""

    def __init__(self, channels, emb_channels, dropout, out_channels, scale_shift, resample, groups):
        super().__init__()
        self.scale_shift = scale_shift
        self.in_layers = nn.Sequential(nn.GroupNorm(groups, channels), nn.SiLU(),
                                       nn.Conv2d(channels, out_channels, 3, padding=1))
        self.resample = resample
        if resample == "up":
            self.h_upd, self.x_upd = Upsample(channels, False), Upsample(channels, False)
        elif resample == "down":
            self.h_upd, self.x_upd = Downsample(channels, False), Downsample(channels, False)
        self.emb_layers = nn.Sequential(nn.SiLU(),
                                        nn.Linear(emb_channels, 2 * out_channels if scale_shift else out_channels))
        self.out_layers = nn.Sequential(nn.GroupNorm(groups, out_channels), nn.SiLU(), nn.Dropout(dropout),
                                        nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.skip_connection = (nn.Identity() if out_channels == channels
                                else nn.Conv2d(channels, out_channels, 1))

    def forward(self, x, emb):
        if self.resample != "none":
            h = self.in_layers[1](self.in_layers[0](x))
            h = self.in_layers[2](self.h_upd(h))
            x = self.x_upd(x)
        else:
            h = self.in_layers(x)
        e = self.emb_layers(emb)[:, :, None, None]
        if self.scale_shift:
            scale, shift = torch.chunk(e, 2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            for layer in self.out_layers[1:]:
                h = layer(h)
        else:
            h = self.out_layers(h + e)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """x + proj_out(attention(qkv(norm(x)))) over the H*W positions; 1x1 convolutions as the released code's."""

    def __init__(self, channels, heads, groups):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        b, c, hh, ww = x.shape
        t, d = hh * ww, c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(b, 3, self.heads, d, t)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]                      # (B, heads, d, T) each
        w = torch.softmax(torch.einsum("bhdt,bhds->bhts", q, k) / math.sqrt(d), dim=-1)
        a = torch.einsum("bhts,bhds->bhdt", w, v).reshape(b, c, hh, ww)
        return x + self.proj_out(a)


def heads_for(channels, num_heads, num_head_channels):
    return channels // num_head_channels if num_head_channels > 0 else num_heads


class UNet(nn.Module):
    """Built from cm4j's UNet.Config fields (a dict with its camelCase names)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        mc, mult = cfg["modelChannels"], list(cfg["channelMult"])
        emb_dim, groups = 4 * mc, cfg["groups"]
        levels = len(mult)
        attention_at = {l for l in range(levels) if cfg["imageSize"] >> l in cfg["attentionResolutions"]}

        def res(cin, cout, resample="none"):
            return ResBlock(cin, emb_dim, cfg["dropout"], cout, cfg["useScaleShiftNorm"], resample, groups)

        def attn(ch):
            return AttentionBlock(ch, heads_for(ch, cfg["numHeads"], cfg["numHeadChannels"]), groups)

        self.time_embed = nn.Sequential(nn.Linear(mc, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        if cfg["numClasses"] > 0:
            self.label_emb = nn.Embedding(cfg["numClasses"], emb_dim)

        ch = mc * mult[0]
        self.input_blocks = nn.ModuleList([EmbSequential(nn.Conv2d(cfg["inChannels"], ch, 3, padding=1))])
        skips = [ch]
        for level in range(levels):
            for _ in range(cfg["numResBlocks"]):
                layers = [res(ch, mc * mult[level])]
                ch = mc * mult[level]
                if level in attention_at:
                    layers.append(attn(ch))
                self.input_blocks.append(EmbSequential(*layers))
                skips.append(ch)
            if level != levels - 1:
                self.input_blocks.append(EmbSequential(
                    res(ch, ch, "down") if cfg["resblockUpdown"] else Downsample(ch, cfg["convResample"])))
                skips.append(ch)

        self.middle_block = EmbSequential(res(ch, ch), attn(ch), res(ch, ch))

        self.output_blocks = nn.ModuleList()
        for level in reversed(range(levels)):
            for i in range(cfg["numResBlocks"] + 1):
                layers = [res(ch + skips.pop(), mc * mult[level])]
                ch = mc * mult[level]
                if level in attention_at:
                    layers.append(attn(ch))
                if level > 0 and i == cfg["numResBlocks"]:
                    layers.append(res(ch, ch, "up") if cfg["resblockUpdown"] else Upsample(ch, cfg["convResample"]))
                self.output_blocks.append(EmbSequential(*layers))

        self.out = nn.Sequential(nn.GroupNorm(groups, ch), nn.SiLU(),
                                 nn.Conv2d(ch, cfg["outChannels"], 3, padding=1))

    def forward(self, x, c_noise, labels=None):
        """x (B, in, S, S), c_noise (B) (the released encoding: 250 ln sigma), labels (B) or None -> (B, out, S, S)."""
        emb = self.time_embed(timestep_embedding(c_noise, self.cfg["modelChannels"]))
        if labels is not None:
            emb = emb + self.label_emb(labels)
        hs = []
        h = x
        for block in self.input_blocks:
            h = block(h, emb)
            hs.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, hs.pop()], dim=1), emb)
        return self.out(h)
