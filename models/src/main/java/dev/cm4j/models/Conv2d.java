package dev.cm4j.models;

import dev.cm4j.autodiff.ConvOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;

/**
 * {@code torch.nn.Conv2d} with a square kernel: x (N,in,H,W) -> (N,out,H',W'); parameters {@code weight}
 * (out, in, k, k) and {@code bias} (out). The weight can be stored in 16 bits for inference ({@link Module#toHalf}).
 */
public final class Conv2d extends Module implements Layer {
    private final int stride;
    private final int padding;
    /** (out, in, k, k) */
    private final int[] weightShape;
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
        weightShape = registerParameter("weight", Init.weight(init, rng, fanIn, out, in, kernel, kernel)).shape();
        bias = withBias ? registerParameter("bias", Init.bias(init, rng, fanIn, out)) : null;
    }

    @Override
    public Var forward(Var x) {
        return ConvOps.conv2d(x, parameterForForward("weight"), bias, stride, padding);
    }

    @Override
    protected boolean halfCapable(String name) {
        return name.equals("weight");
    }

    @Override
    protected Conv2d blank() {
        int[] w = weightShape; // (out, in, k, k)
        return new Conv2d(w[1], w[0], w[2], stride, padding, bias != null, Init.Scheme.ZERO, new Rng(0));
    }

    @Override
    public Conv2d copy() {
        return (Conv2d) super.copy();
    }

    /** The float32 weight; throws while it is stored in 16 bits ({@link Module#toHalf}). */
    public Var weight() {
        return floatParameter("weight");
    }

    public Var bias() {
        return bias;
    }
}
