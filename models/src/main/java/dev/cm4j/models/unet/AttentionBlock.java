package dev.cm4j.models.unet;

import dev.cm4j.autodiff.AttentionOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Conv2d;
import dev.cm4j.models.GroupNorm;
import dev.cm4j.models.Init;
import dev.cm4j.models.Layer;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Rng;

/**
 * The self-attention block of the ADM U-Net ({@code AttentionBlock} of openai/consistency_models): x (B,C,H,W) ->
 * x + proj_out(attention(qkv(norm(x)))) over the T = H*W positions.
 *
 * <p>Children {@code norm} (GroupNorm), {@code qkv} (1x1, C -> 3C, channels ordered (three, heads, headDim) as in
 * that repository's {@code QKVAttention}) and {@code proj_out} (1x1, C -> C, zero-initialised, so the block starts as
 * the identity). The U-Net of that repository builds this block with {@code dims=2}, so {@code qkv} and
 * {@code proj_out} are two-dimensional 1x1 convolutions: weights (3C, C, 1, 1) and (C, C, 1, 1), the shapes of its
 * released checkpoints (guided-diffusion's one-dimensional (3C, C, 1) would not load by shape).
 */
public final class AttentionBlock extends Module implements Layer {
    private final int channels;
    private final int heads;
    private final GroupNorm norm;
    private final Conv2d qkv;
    private final Conv2d projOut;

    /**
     * @param groups the GroupNorm's groups (ADM uses 32)
     * @param heads  number of heads; must divide {@code channels}
     */
    public AttentionBlock(int channels, int heads, int groups, Rng rng) {
        if (heads <= 0 || channels % heads != 0) {
            throw new IllegalArgumentException("AttentionBlock: " + channels + " channels cannot be split into "
                    + heads + " heads");
        }
        this.channels = channels;
        this.heads = heads;
        norm = registerModule("norm", new GroupNorm(groups, channels));
        qkv = registerModule("qkv", new Conv2d(channels, 3 * channels, 1, 1, 0, true, Init.Scheme.PYTORCH, rng));
        projOut = registerModule("proj_out", new Conv2d(channels, channels, 1, 1, 0, true, Init.Scheme.ZERO, rng));
    }

    /** ADM's choice of heads: {@code numHeadChannels} channels per head when positive, else {@code numHeads}. */
    public static int headsFor(int channels, int numHeads, int numHeadChannels) {
        if (numHeadChannels <= 0) {
            return numHeads;
        }
        if (channels % numHeadChannels != 0) {
            throw new IllegalArgumentException("AttentionBlock: " + channels + " channels are not a multiple of "
                    + numHeadChannels + " channels per head");
        }
        return channels / numHeadChannels;
    }

    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length < 3 || s[1] != channels) {
            throw new IllegalArgumentException("AttentionBlock: input " + java.util.Arrays.toString(s)
                    + " is not (B, " + channels + ", ...)");
        }
        // the 1x1 convolutions see (B, C, T, 1): every spatial layout of x is T positions to them
        int t = x.size() / (s[0] * channels);
        Var h = x.reshape(s[0], channels, t, 1);
        Var a = AttentionOps.qkvAttention(qkv.forward(norm.forward(h)).reshape(s[0], 3 * channels, t), heads);
        return h.add(projOut.forward(a.reshape(s[0], channels, t, 1))).reshape(s);
    }

    public int heads() {
        return heads;
    }
}
