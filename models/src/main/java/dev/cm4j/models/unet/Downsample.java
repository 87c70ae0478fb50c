package dev.cm4j.models.unet;

import dev.cm4j.autodiff.ConvOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Conv2d;
import dev.cm4j.models.Init;
import dev.cm4j.models.Layer;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Rng;

/**
 * ADM's {@code Downsample}: halves H and W with a 3x3 convolution of stride 2 (child {@code op}) or, without
 * convolution, a 2x2 average pool.
 */
public final class Downsample extends Module implements Layer {
    private final Conv2d op;

    /** @param rng unused (may be null) when {@code useConv} is false */
    public Downsample(int channels, boolean useConv, int outChannels, Rng rng) {
        if (!useConv && outChannels != channels) {
            throw new IllegalArgumentException("Downsample: average pooling keeps " + channels
                    + " channels, cannot produce " + outChannels);
        }
        op = useConv ? registerModule("op", new Conv2d(channels, outChannels, 3, 2, 1, true, Init.Scheme.PYTORCH, rng))
                : null;
    }

    @Override
    public Var forward(Var x) {
        return op != null ? op.forward(x) : ConvOps.avgPool2x2(x);
    }
}
