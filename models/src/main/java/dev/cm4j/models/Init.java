package dev.cm4j.models;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * Weight initialisers, all drawing from an explicit {@link Rng}. fanIn is the number of inputs of one output unit:
 * {@code in} for a Linear, {@code in * kh * kw} for a convolution.
 *
 * <p>Inside a {@link ShapeOnly} scope {@link #weight}, {@link #bias} and {@link #standardNormal} return placeholders of
 * the right shape and draw nothing, so a model can be built for its names and shapes alone.
 */
public final class Init {
    private Init() {
    }

    /** How a layer's weight and bias are drawn. */
    public enum Scheme {
        /**
         * PyTorch's default for Linear and Conv: weight kaiming_uniform(a = sqrt 5), i.e. U(-1/sqrt(fanIn),
         * 1/sqrt(fanIn)); bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
         */
        PYTORCH,
        /** He et al. 2015 normal, fan-in mode, gain sqrt 2: weight N(0, 2/fanIn); bias 0. */
        HE_NORMAL,
        /** Everything 0 (ADM's zero_module for output projections). */
        ZERO
    }

    /**
     * kaiming_uniform_(w, a): U(-bound, bound) with bound = gain sqrt(3 / fanIn), gain = sqrt(2 / (1 + a^2)).
     * With a = sqrt 5 (PyTorch's Linear/Conv default) the bound is 1/sqrt(fanIn).
     */
    public static Tensor kaimingUniform(Rng rng, double a, int fanIn, int... shape) {
        double gain = Math.sqrt(2.0 / (1 + a * a));
        float bound = (float) (gain * Math.sqrt(3.0 / fanIn));
        return rng.uniform(-bound, bound, shape);
    }

    /** N(0, 2 / fanIn) (kaiming_normal_, fan-in mode, ReLU gain). */
    public static Tensor heNormal(Rng rng, int fanIn, int... shape) {
        Tensor t = Tensor.zeros(shape);
        rng.fillNormal(t.data(), t.offset(), t.size(), 0f, (float) Math.sqrt(2.0 / fanIn));
        return t;
    }

    /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)), PyTorch's default bias. */
    public static Tensor fanInUniform(Rng rng, int fanIn, int... shape) {
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        return rng.uniform(-bound, bound, shape);
    }

    /** The weight of a layer under {@code scheme}. */
    public static Tensor weight(Scheme scheme, Rng rng, int fanIn, int... shape) {
        if (ShapeOnly.active()) {
            return ShapeOnly.placeholder(shape);
        }
        return switch (scheme) {
            case PYTORCH -> kaimingUniform(rng, Math.sqrt(5), fanIn, shape);
            case HE_NORMAL -> heNormal(rng, fanIn, shape);
            case ZERO -> Tensor.zeros(shape);
        };
    }

    /** The bias of a layer under {@code scheme}. */
    public static Tensor bias(Scheme scheme, Rng rng, int fanIn, int... shape) {
        if (ShapeOnly.active()) {
            return ShapeOnly.placeholder(shape);
        }
        return scheme == Scheme.PYTORCH ? fanInUniform(rng, fanIn, shape) : Tensor.zeros(shape);
    }

    /** N(0, 1), PyTorch's initialisation of {@code nn.Embedding}. */
    public static Tensor standardNormal(Rng rng, int... shape) {
        return ShapeOnly.active() ? ShapeOnly.placeholder(shape) : rng.normal(shape);
    }

    /** Sets every parameter of {@code module} to 0 (ADM's {@code zero_module}, an in-place write) and returns it. */
    public static <M extends Module> M zero(M module) {
        for (Var p : module.parameters()) {
            p.value().fill(0f);
        }
        return module;
    }
}
