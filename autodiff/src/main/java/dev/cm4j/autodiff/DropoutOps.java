package dev.cm4j.autodiff;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

/**
 * Inverted dropout (Srivastava et al. 2014): zero each element with probability p and scale the rest by 1/(1-p).
 *
 * <p>The mask is drawn from an explicit {@link Rng}, so a pass can be replayed with the same mask by restoring the
 * generator's position (iCT evaluates the student and the target with the same mask), or by passing the mask itself.
 */
public final class DropoutOps {
    private DropoutOps() {
    }

    /** The scaled keep-mask: 1/(1-p) with probability 1-p, else 0; draws {@code ceil(size/4)} Philox blocks. */
    public static Tensor mask(Rng rng, float p, int... shape) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout: probability " + p + " must be in [0, 1)");
        }
        Tensor u = rng.uniform(0f, 1f, shape);
        float scale = 1f / (1f - p);
        float[] d = u.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = d[i] >= p ? scale : 0f;
        }
        return u;
    }

    // y = x m with a fresh mask from rng: dx = g m
    public static Var dropout(Var x, float p, Rng rng) {
        return dropout(x, mask(rng, p, x.shape()));
    }

    // y = x m with a given (scaled) mask of x's shape: dx = g m
    public static Var dropout(Var x, Tensor mask) {
        if (!mask.sameShape(x.value())) {
            throw new IllegalArgumentException("dropout: mask " + java.util.Arrays.toString(mask.shape())
                    + " does not match input " + java.util.Arrays.toString(x.shape()));
        }
        return Var.result("dropout", x.value().mul(mask), g -> x.accumulateGrad(g.mul(mask)), x);
    }
}
