package dev.cm4j.models;

import dev.cm4j.autodiff.ConvOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;

/**
 * {@code torch.nn.Conv2d} with a square kernel: x (N,in,H,W) -> (N,out,H',W'); parameters {@code weight}
 * (out, in, k, k) and {@code bias} (out).
 */
public final class Conv2d extends Module implements Layer {
    private final int stride;
    private final int padding;
    private final Var weight;
    private final Var bias;

    /** A 3x3 convolution with padding 1 and stride 1 (the shape-preserving convolution of the U-Net). */
    public static Conv2d same3x3(int in, int out, Rng rng) {
        return new Conv2d(in, out, 3, 1, 1, true, Init.Scheme.PYTORCH, rng);
    }

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean withBias, Init.Scheme init, Rng rng) {
        if (in <= 0 || out <= 0 || kernel <= 0 || stride <= 0 || padding < 0) {
            throw new IllegalArgumentException("Conv2d: in " + in + ", out " + out + ", kernel " + kernel
                    + ", stride " + stride + ", padding " + padding + " out of range");
        }
        this.stride = stride;
        this.padding = padding;
        int fanIn = in * kernel * kernel;
        weight = registerParameter("weight", Init.weight(init, rng, fanIn, out, in, kernel, kernel));
        bias = withBias ? registerParameter("bias", Init.bias(init, rng, fanIn, out)) : null;
    }

    @Override
    public Var forward(Var x) {
        return ConvOps.conv2d(x, weight, bias, stride, padding);
    }

    @Override
    protected Conv2d blank() {
        int[] w = weight.shape(); // (out, in, k, k)
        return new Conv2d(w[1], w[0], w[2], stride, padding, bias != null, Init.Scheme.ZERO, new Rng(0));
    }

    @Override
    public Conv2d copy() {
        return (Conv2d) super.copy();
    }

    public Var weight() {
        return weight;
    }

    public Var bias() {
        return bias;
    }
}
