package dev.cm4j.tensor.kernels;

/**
 * The plain loops of {@link GaussianWeights}: the reference {@link GaussianWeightsVector} is tested against and the
 * path without the Vector API. Distances, weights and sums run in reference order.
 */
public final class GaussianWeightsReference {
    private GaussianWeightsReference() {
    }

    /** See {@link GaussianWeights#row}. */
    public static double row(float[] q, int qOff, float[] x, int xOff, double[] refT, int refs, int per, double inv,
                             double cutoff, double[] w, double[] acc) {
        double min = Double.POSITIVE_INFINITY;
        for (int j = 0; j < refs; j++) {
            w[j] = distance2(q, qOff, refT, refs, per, j);
            min = Math.min(min, w[j]);
        }
        double sum = 0;
        for (int j = 0; j < refs; j++) {
            w[j] = weight(min, w[j], inv, cutoff);
            sum += w[j];
        }
        for (int e = 0; e < per; e++) {
            acc[e] = weightedDifference(w, 0, refs, refT, e * refs, x[xOff + e], 0);
        }
        return sum;
    }

    /** |q - r_j|^2 in double, the elements added in order. */
    static double distance2(float[] q, int qOff, double[] refT, int refs, int per, int j) {
        double d2 = 0;
        for (int e = 0; e < per; e++) {
            double diff = (double) q[qOff + e] - refT[e * refs + j];
            d2 += diff * diff;
        }
        return d2;
    }

    /** exp((min - d2) inv), or 0 where that exponent is below the cutoff. */
    static double weight(double min, double d2, double inv, double cutoff) {
        double logit = (min - d2) * inv;
        return logit < cutoff ? 0 : Math.exp(logit);
    }

    /** {@code a + sum of w[j] (refT[r + j] - xe)} over j in [from, refs), in order, zero weights skipped. */
    static double weightedDifference(double[] w, int from, int refs, double[] refT, int r, double xe, double a) {
        for (int j = from; j < refs; j++) {
            if (w[j] != 0) {
                a += w[j] * (refT[r + j] - xe);
            }
        }
        return a;
    }
}
