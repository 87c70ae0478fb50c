package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Simd;

/**
 * One row of a Gaussian-kernel (softmax) average over a set of reference points, the inner loop of the minibatch
 * estimate of {@code E[x0 | x_t]} (the stable target field): for a query q and references r_j (d elements each),
 * <pre>
 *   d2_j = |q - r_j|^2,   w_j = exp((min_k d2_k - d2_j) inv)   (0 where that exponent is below the cutoff)
 *   acc_e = sum_j w_j (r_j,e - x_e),   returned: sum_j w_j
 * </pre>
 * all in double, so that {@code acc / sum} is the weighted mean of {@code r_j - x}. The references come transposed
 * ({@code refT[e * refs + j]}, one row per element), so that a vector runs over references. The nearest reference gets
 * weight exactly 1: no exp overflows and the sum is at least 1.
 *
 * <p>Dispatches to {@link GaussianWeightsVector} when {@link Simd#ENABLED}, else to {@link GaussianWeightsReference}.
 * The distances and the cutoff are the same bits in both; the vector exponential is a polynomial within about an ulp of
 * {@code Math.exp}, and the sums are added in another (fixed) order, so results agree to about 1e-15 relative, not bit
 * for bit. Each path gives the same bits on every run, and the vector path the same at every vector width. A row runs
 * on one thread.
 */
public final class GaussianWeights {
    /** The lowest cutoff: exponents down to it keep 2^n a normal double in the vector exponential. */
    public static final double EXP_MIN = -708;

    private GaussianWeights() {
    }

    /**
     * One row: the weights into {@code w} (refs), {@code acc} (per) as above; returns the sum of the weights.
     *
     * @param q the query, per floats from qOff
     * @param x the point the differences are taken from, per floats from xOff
     * @param refT the references transposed: element e of reference j at {@code e * refs + j}
     * @param inv the factor on the distance gap, 1 / (2 t^2) for noise level t
     * @param cutoff exponents below it give weight 0, in [-708, 0]
     */
    public static double row(float[] q, int qOff, float[] x, int xOff, double[] refT, int refs, int per, double inv,
                             double cutoff, double[] w, double[] acc) {
        if (!(cutoff >= EXP_MIN && cutoff <= 0)) {
            throw new IllegalArgumentException("GaussianWeights.row: the cutoff " + cutoff + " must be in ["
                    + EXP_MIN + ", 0]");
        }
        if (refs < 1 || per < 1 || refT.length < (long) refs * per || w.length < refs || acc.length < per) {
            throw new IllegalArgumentException("GaussianWeights.row: " + refs + " references of " + per
                    + " elements need refT of " + (long) refs * per + " (got " + refT.length + "), w of " + refs
                    + " (got " + w.length + ") and acc of " + per + " (got " + acc.length + ")");
        }
        return Simd.ENABLED ? GaussianWeightsVector.row(q, qOff, x, xOff, refT, refs, per, inv, cutoff, w, acc)
                : GaussianWeightsReference.row(q, qOff, x, xOff, refT, refs, per, inv, cutoff, w, acc);
    }
}
