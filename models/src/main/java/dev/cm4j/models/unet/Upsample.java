package dev.cm4j.models.unet;

import dev.cm4j.autodiff.ConvOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Conv2d;
import dev.cm4j.models.Init;
import dev.cm4j.models.Layer;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Rng;

/** ADM's {@code Upsample}: nearest-neighbour 2x, then optionally a 3x3 convolution (child {@code conv}). */
public final class Upsample extends Module implements Layer {
    private final Conv2d conv;

    /** @param rng unused (may be null) when {@code useConv} is false */
    public Upsample(int channels, boolean useConv, int outChannels, Rng rng) {
        if (!useConv && outChannels != channels) {
            throw new IllegalArgumentException("Upsample: without convolution " + channels
                    + " channels cannot become " + outChannels);
        }
        conv = useConv ? registerModule("conv", new Conv2d(channels, outChannels, 3, 1, 1, true,
                Init.Scheme.PYTORCH, rng)) : null;
    }

    @Override
    public Var forward(Var x) {
        Var h = ConvOps.upsampleNearest2x(x);
        return conv != null ? conv.forward(h) : h;
    }
}
