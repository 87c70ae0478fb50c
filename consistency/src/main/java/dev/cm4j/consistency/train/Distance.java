package dev.cm4j.consistency.train;

import dev.cm4j.autodiff.Losses;
import dev.cm4j.autodiff.Var;

/**
 * The distance d(f_theta(x_t, t), f_theta-(x^, t')) of the consistency losses, per sample: (B, ...) x (B, ...) -> (B).
 * docs/ALGORITHMS.md#distances.
 */
public enum Distance {
    /** Mean over the sample's elements of the squared difference (the released code's "l2"). */
    L2 {
        @Override
        public Var perSample(Var a, Var b, float c) {
            return Losses.msePerSample(a, b);
        }
    },
    /** Mean over the sample's elements of the absolute difference ("l1"). */
    L1 {
        @Override
        public Var perSample(Var a, Var b, float c) {
            Var d = a.sub(b).abs();
            int[] axes = new int[d.rank() - 1];
            for (int i = 1; i < d.rank(); i++) {
                axes[i - 1] = i;
            }
            return axes.length == 0 ? d : d.mean(false, axes);
        }
    },
    /**
     * iCT's pseudo-Huber distance {@code sqrt(||a - b||^2 + c^2) - c} over the norm of the <em>whole</em> sample (the
     * per-element form is a known re-implementation bug), with {@code c = 0.00054 sqrt(dim)}.
     */
    PSEUDO_HUBER {
        @Override
        public Var perSample(Var a, Var b, float c) {
            return Losses.pseudoHuber(a, b, c);
        }
    };

    /** The distance for each sample; {@code c} is used by the pseudo-Huber distance only. */
    public abstract Var perSample(Var a, Var b, float c);

    /** iCT's pseudo-Huber constant for samples of {@code dim} elements: 0.00054 sqrt(dim) (0.0299 for CIFAR-10). */
    public static float ictHuberC(int dim) {
        if (dim < 1) {
            throw new IllegalArgumentException("Distance.ictHuberC: dimension must be >= 1, got " + dim);
        }
        return (float) (0.00054 * Math.sqrt(dim));
    }
}
