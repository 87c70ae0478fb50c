package dev.cm4j.models;

import dev.cm4j.autodiff.ConvOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;

/**
 * {@code torch.nn.Conv1d} with kernel size 1 (guided-diffusion's {@code conv_nd(1, in, out, 1)}): x (B,in,T) ->
 * (B,out,T); parameters {@code weight} (out, in, 1) and {@code bias} (out). It runs as a 1x1 two-dimensional
 * convolution over (B,in,T,1). (The attention of openai/consistency_models uses 1x1 {@link Conv2d}s instead.)
 */
public final class Conv1x1 extends Module implements Layer {
    private final int in;
    private final int out;
    private final Var weight;
    private final Var bias;

    public Conv1x1(int in, int out, Init.Scheme init, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Conv1x1: in " + in + " and out " + out + " must be positive");
        }
        this.in = in;
        this.out = out;
        weight = registerParameter("weight", Init.weight(init, rng, in, out, in, 1));
        bias = registerParameter("bias", Init.bias(init, rng, in, out));
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() != 3 || x.dim(1) != in) {
            throw new IllegalArgumentException("Conv1x1: input " + java.util.Arrays.toString(x.shape())
                    + " is not (B, " + in + ", T)");
        }
        int b = x.dim(0), t = x.dim(2);
        Var y = ConvOps.conv2d(x.reshape(b, in, t, 1), weight.reshape(out, in, 1, 1), bias, 1, 0);
        return y.reshape(b, out, t);
    }
}
