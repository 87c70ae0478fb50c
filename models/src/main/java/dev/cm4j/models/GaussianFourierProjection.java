package dev.cm4j.models;

import dev.cm4j.autodiff.ShapeOps;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * Random Fourier features of NCSN++ (Song et al. 2021; {@code GaussianFourierProjection}): x (N) -> (N, 2m) =
 * [sin(2 pi x W), cos(2 pi x W)] with W (m) ~ N(0, scale^2) drawn once and kept fixed (buffer {@code W}). The CM JAX
 * code uses scale 16; iCT uses 0.02.
 */
public final class GaussianFourierProjection extends Module implements Layer {
    private final Tensor w;

    public GaussianFourierProjection(int embeddingSize, float scale, Rng rng) {
        if (embeddingSize <= 0 || !(scale > 0f)) {
            throw new IllegalArgumentException("GaussianFourierProjection: size " + embeddingSize + " and scale "
                    + scale + " must be positive");
        }
        Tensor draw = Tensor.zeros(embeddingSize);
        rng.fillNormal(draw.data(), 0, embeddingSize, 0f, scale);
        w = registerBuffer("W", draw);
    }

    @Override
    public Var forward(Var x) {
        if (x.rank() != 1) {
            throw new IllegalArgumentException("GaussianFourierProjection: input " + java.util.Arrays.toString(
                    x.shape()) + " must be (N)");
        }
        int m = w.size();
        Var proj = x.reshape(x.dim(0), 1).mul(Var.constant(w.reshape(1, m))).mul((float) (2 * Math.PI));
        return ShapeOps.concat(1, proj.sin(), proj.cos());
    }

    /** The frequencies W are a buffer: copy() overwrites the blank's draw (scale 1, generator 0) with them. */
    @Override
    protected GaussianFourierProjection blank() {
        return new GaussianFourierProjection(w.size(), 1f, new Rng(0));
    }

    @Override
    public GaussianFourierProjection copy() {
        return (GaussianFourierProjection) super.copy();
    }
}
