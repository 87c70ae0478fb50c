package dev.cm4j.models;

import dev.cm4j.autodiff.LinearOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;

/**
 * {@code torch.nn.Linear}: x (..., in) -> x W^T + b (..., out); parameters {@code weight} (out, in) and {@code bias}
 * (out). The weight can be stored in 16 bits for inference ({@link Module#toHalf}).
 */
public final class Linear extends Module implements Layer {
    private final int in;
    private final int out;
    private final Var bias;

    /** PyTorch's default initialisation, with bias. */
    public Linear(int in, int out, Rng rng) {
        this(in, out, true, Init.Scheme.PYTORCH, rng);
    }

    public Linear(int in, int out, boolean withBias, Init.Scheme init, Rng rng) {
        if (in <= 0 || out <= 0) {
            throw new IllegalArgumentException("Linear: in " + in + " and out " + out + " must be positive");
        }
        this.in = in;
        this.out = out;
        // weight first, then bias: the draw order of torch.nn.Linear.reset_parameters
        registerParameter("weight", Init.weight(init, rng, in, out, in));
        bias = withBias ? registerParameter("bias", Init.bias(init, rng, in, out)) : null;
    }

    @Override
    public Var forward(Var x) {
        return LinearOps.linear(x, parameterForForward("weight"), bias);
    }

    @Override
    protected boolean halfCapable(String name) {
        return name.equals("weight");
    }

    @Override
    protected Linear blank() {
        return new Linear(in, out, bias != null, Init.Scheme.ZERO, new Rng(0));
    }

    @Override
    public Linear copy() {
        return (Linear) super.copy();
    }

    /** The float32 weight; throws while it is stored in 16 bits ({@link Module#toHalf}). */
    public Var weight() {
        return floatParameter("weight");
    }

    /** The bias, or null without one. */
    public Var bias() {
        return bias;
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }
}
