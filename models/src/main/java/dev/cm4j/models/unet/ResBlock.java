package dev.cm4j.models.unet;

import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Conv2d;
import dev.cm4j.models.Dropout;
import dev.cm4j.models.GroupNorm;
import dev.cm4j.models.Init;
import dev.cm4j.models.Layer;
import dev.cm4j.models.Linear;
import dev.cm4j.models.Module;
import dev.cm4j.models.Sequential;
import dev.cm4j.models.SiLU;
import dev.cm4j.tensor.Rng;

import java.util.Arrays;

/**
 * The residual block of the ADM U-Net ({@code ResBlock} of openai/consistency_models), conditioned on the embedding:
 * <pre>
 *   h = in_layers(x)                       GroupNorm -> SiLU -> conv3x3 (C -> C')
 *   e = emb_layers(emb)                    SiLU -> Linear (E -> C', or 2C' with scale-shift)
 *   scale-shift:  h = out_rest(GN(h) (1 + scale) + shift),  (scale, shift) = the two halves of e
 *   otherwise:    h = out_layers(h + e)    GroupNorm -> SiLU -> Dropout -> zero-initialised conv3x3
 *   y = skip_connection(x) + h             identity when C' = C, else a 1x1 convolution
 * </pre>
 * With {@link Resample#UP} or {@link Resample#DOWN} (ADM's {@code resblock_updown}) both h (after GroupNorm and SiLU,
 * before the first convolution) and x pass through a nearest 2x upsample or a 2x2 average pool, so the block changes
 * the resolution.
 *
 * <p>Each GroupNorm -> [scale-shift ->] SiLU runs as one node ({@link GroupNorm#forwardSilu}), which stores neither
 * the normalised nor the scaled activation; the parameter names stay those of the separate layers.
 *
 * <p>The zero-initialised last convolution makes a fresh block the identity (or the skip convolution). The dropout
 * layer ({@code out_layers.2}) has its own generator, so {@link Module#rngPositions()} can replay its masks.
 */
public final class ResBlock extends Module implements TimestepBlock {
    /** Whether the block keeps, doubles or halves the resolution. */
    public enum Resample { NONE, UP, DOWN }

    /**
     * Each GroupNorm -> [scale-shift ->] SiLU of the U-Net (in_layers, out_layers and the {@link UNet}'s head) runs as
     * one node ({@link GroupNorm#forwardSilu}) when true, as the separate layers when false: the same values up to
     * float rounding. A switch for comparing the two routes (tests, timing) in one JVM.
     */
    static boolean fusedNormSilu = true;

    private final int channels;
    private final int embChannels;
    private final int outChannels;
    private final boolean useScaleShiftNorm;
    private final GroupNorm inNorm;
    private final Sequential inLayers;
    private final Layer hUpd;
    private final Layer xUpd;
    private final Sequential embLayers;
    private final GroupNorm outNorm;
    private final Sequential outLayers;
    private final Conv2d skip;

    /**
     * @param channels          C, the input channels
     * @param embChannels       E, the size of the embedding
     * @param dropout           dropout probability before the last convolution (active in training mode only)
     * @param outChannels       C'
     * @param useScaleShiftNorm FiLM-like conditioning GN(h) (1 + scale) + shift instead of adding the embedding
     * @param resample          none, or ADM's up/down resblock
     * @param groups            GroupNorm groups (ADM: 32); must divide C and C'
     * @param rng               draws the weights
     * @param dropoutRng        this block's own dropout generator (not shared with other users)
     */
    public ResBlock(int channels, int embChannels, float dropout, int outChannels, boolean useScaleShiftNorm,
                    Resample resample, int groups, Rng rng, Rng dropoutRng) {
        if (channels <= 0 || embChannels <= 0 || outChannels <= 0) {
            throw new IllegalArgumentException("ResBlock: channels " + channels + ", embedding " + embChannels
                    + " and out channels " + outChannels + " must be positive");
        }
        this.channels = channels;
        this.embChannels = embChannels;
        this.outChannels = outChannels;
        this.useScaleShiftNorm = useScaleShiftNorm;
        // registration order = PyTorch's attribute order: in_layers, h_upd, x_upd, emb_layers, out_layers, skip
        inNorm = new GroupNorm(groups, channels);
        inLayers = registerModule("in_layers", new Sequential(inNorm, new SiLU(),
                Conv2d.same3x3(channels, outChannels, rng)));
        if (resample == Resample.UP) {
            hUpd = registerModule("h_upd", new Upsample(channels, false, channels, null));
            xUpd = registerModule("x_upd", new Upsample(channels, false, channels, null));
        } else if (resample == Resample.DOWN) {
            hUpd = registerModule("h_upd", new Downsample(channels, false, channels, null));
            xUpd = registerModule("x_upd", new Downsample(channels, false, channels, null));
        } else {
            hUpd = null;
            xUpd = null;
        }
        embLayers = registerModule("emb_layers", new Sequential(new SiLU(),
                new Linear(embChannels, useScaleShiftNorm ? 2 * outChannels : outChannels, rng)));
        outNorm = new GroupNorm(groups, outChannels);
        outLayers = registerModule("out_layers", new Sequential(outNorm, new SiLU(),
                new Dropout(dropout, dropoutRng),
                new Conv2d(outChannels, outChannels, 3, 1, 1, true, Init.Scheme.ZERO, rng)));
        // ADM's default use_conv=False: a 1x1 convolution changes the channel count of the skip path
        skip = outChannels == channels ? null : registerModule("skip_connection",
                new Conv2d(channels, outChannels, 1, 1, 0, true, Init.Scheme.PYTORCH, rng));
    }

    @Override
    public Var forward(Var x, Var emb) {
        if (x.rank() != 4 || x.dim(1) != channels || emb.rank() != 2 || emb.dim(0) != x.dim(0)
                || emb.dim(1) != embChannels) {
            throw new IllegalArgumentException("ResBlock: input " + Arrays.toString(x.shape()) + " and embedding "
                    + Arrays.toString(emb.shape()) + " are not (B, " + channels + ", H, W) and (B, " + embChannels
                    + ")");
        }
        Var h = normSilu(inNorm, inLayers, x, null, null);
        if (hUpd != null) {
            // resample between the activation and the convolution, and the skip input alike
            h = hUpd.forward(h);
            x = xUpd.forward(x);
        }
        h = inLayers.get(2).forward(h);
        Var e = embLayers.forward(emb);
        if (useScaleShiftNorm) {
            // (scale, shift): the two halves of e (B, 2C'), each (B, C')
            h = normSilu(outNorm, outLayers, h, e.slice(1, 0, outChannels), e.slice(1, outChannels, 2 * outChannels));
        } else {
            h = normSilu(outNorm, outLayers, h.add(e.reshape(e.dim(0), e.dim(1), 1, 1)), null, null);
        }
        for (int i = 2; i < outLayers.size(); i++) {
            h = outLayers.get(i).forward(h);
        }
        return (skip == null ? x : skip.forward(x)).add(h);
    }

    /**
     * silu(norm(h) [(1 + scale) + shift]) for the norm and SiLU that open {@code layers}: one fused node, or the
     * layers one by one when {@link #fusedNormSilu} is off. scale and shift are (B, C) or both null.
     */
    static Var normSilu(GroupNorm norm, Sequential layers, Var h, Var scale, Var shift) {
        if (fusedNormSilu) {
            return scale == null ? norm.forwardSilu(h) : norm.forwardSilu(h, scale, shift);
        }
        h = layers.get(0).forward(h);
        if (scale != null) {
            int[] perChannel = {scale.dim(0), scale.dim(1), 1, 1};
            h = h.mul(scale.reshape(perChannel).add(1f)).add(shift.reshape(perChannel));
        }
        return layers.get(1).forward(h);
    }

    public int channels() {
        return channels;
    }

    public int outChannels() {
        return outChannels;
    }
}
