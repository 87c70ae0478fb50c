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
 * The distances and the cutoff are the same bits in both; the vector exponential may differ from {@code Math.exp} in the
 * last bit, and the sums are added in another order, so results agree to about 1e-15 relative, not bit for bit. A row
 * runs on one thread.
 */
public final class GaussianWeights {
    private GaussianWeights() {
    }

    /**
     * One row: the weights into {@code w} (refs), {@code acc} (per) as above; returns the sum of the weights.
     *
     * @param q the query, per floats from qOff
     * @param x the point the differences are taken from, per floats from xOff
     * @param refT the references transposed: element e of reference j at {@code e * refs + j}
     * @param inv the factor on the distance gap, 1 / (2 t^2) for noise level t
     * @param cutoff exponents below it give weight 0 (negative)
     */
    public static double row(float[] q, int qOff, float[] x, int xOff, double[] refT, int refs, int per, double inv,
                             double cutoff, double[] w, double[] acc) {
        if (refs < 1 || per < 1 || refT.length < (long) refs * per || w.length < refs || acc.length < per) {
            throw new IllegalArgumentException("GaussianWeights.row: " + refs + " references of " + per
                    + " elements need refT of " + (long) refs * per + " (got " + refT.length + "), w of " + refs
                    + " (got " + w.length + ") and acc of " + per + " (got " + acc.length + ")");
        }
        return Simd.ENABLED ? GaussianWeightsVector.row(q, qOff, x, xOff, refT, refs, per, inv, cutoff, w, acc)
                : GaussianWeightsReference.row(q, qOff, x, xOff, refT, refs, per, inv, cutoff, w, acc);
    }
}
