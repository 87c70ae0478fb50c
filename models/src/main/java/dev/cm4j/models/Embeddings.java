package dev.cm4j.models;

import dev.cm4j.autodiff.ShapeOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;

/** Embeddings of the noise level, composed from recorded ops so they are differentiable in t. */
public final class Embeddings {
    private Embeddings() {
    }

    /**
     * The sinusoidal timestep embedding of ADM ({@code timestep_embedding}): t (N) -> (N, dim) =
     * [cos(t f_0..f_{h-1}), sin(t f_0..f_{h-1})] with h = dim / 2 and f_i = exp(-ln(maxPeriod) i / h), padded with
     * a zero column when dim is odd. ADM uses maxPeriod 10000 on c_noise = 250 ln(sigma).
     */
    public static Var timestep(Var t, int dim, double maxPeriod) {
        if (t.rank() != 1 || dim < 2) {
            throw new IllegalArgumentException("timestep embedding: t " + java.util.Arrays.toString(t.shape())
                    + " must be (N) and dim " + dim + " >= 2");
        }
        int half = dim / 2;
        float[] f = new float[half];
        for (int i = 0; i < half; i++) {
            f[i] = frequency(i, half, maxPeriod);
        }
        Var args = t.reshape(t.dim(0), 1).mul(Var.constant(Tensor.wrap(f, new int[] {1, half})));
        Var emb = ShapeOps.concat(1, args.cos(), args.sin());
        if (dim % 2 == 1) {
            emb = ShapeOps.pad(emb, new int[] {0, 0}, new int[] {0, 1}, 0f);
        }
        return emb;
    }

    /**
     * f_i rounded step by step in float32 as the reference computes it
     * ({@code exp(-log(max_period) * arange(half, dtype=float32) / half)}), so large c_noise values (|250 ln sigma|
     * reaches 1500) give the same arguments.
     */
    static float frequency(int i, int half, double maxPeriod) {
        float scaled = (float) -Math.log(maxPeriod) * (float) i;
        return (float) Math.exp(scaled / half);
    }

    /** {@link #timestep(Var, int, double)} with ADM's max period 10000. */
    public static Var timestep(Var t, int dim) {
        return timestep(t, dim, 10000.0);
    }
}
