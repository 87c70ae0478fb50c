package dev.cm4j.consistency.metrics;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Tensor;

/**
 * The energy distance (Szekely and Rizzo 2013) between two empirical distributions:
 * {@code E(a, b) = 2 mean|a_i - b_j| - mean|a_i - a_i'| - mean|b_j - b_j'|}, Euclidean norms, all pairs (the
 * V-statistic, diagonal included). It is non-negative, zero only for equal empirical distributions, and equals twice
 * the squared MMD with the distance kernel. The square root is reported, so it scales like a length.
 *
 * <p>Cost O((n + m)^2 d). Rows are summed in double in parallel, each into its own slot, then combined in order, so the
 * result does not depend on the thread count.
 */
public record EnergyDistance() implements SampleMetric {
    @Override
    public String name() {
        return "energy";
    }

    @Override
    public double distance(Tensor a, Tensor b) {
        SampleMetric.checkPair("EnergyDistance.distance", a, b);
        double ab = meanPairDistance(a, b);
        double aa = meanPairDistance(a, a);
        double bb = meanPairDistance(b, b);
        return Math.sqrt(Math.max(0, 2 * ab - aa - bb));
    }

    /** mean over all (i, j) of |x_i - y_j|, x (n, d), y (m, d). */
    static double meanPairDistance(Tensor x, Tensor y) {
        int n = x.dim(0);
        int m = y.dim(0);
        int d = x.dim(1);
        float[] xd = x.data();
        float[] yd = y.data();
        int xo = x.offset();
        int yo = y.offset();
        double[] rows = new double[n];
        Parallel.forRange(n, 16, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double s = 0;
                int xi = xo + i * d;
                for (int j = 0; j < m; j++) {
                    int yj = yo + j * d;
                    double sq = 0;
                    for (int k = 0; k < d; k++) {
                        double diff = xd[xi + k] - yd[yj + k];
                        sq += diff * diff;
                    }
                    s += Math.sqrt(sq);
                }
                rows[i] = s;
            }
        });
        double total = 0;
        for (double r : rows) {
            total += r;
        }
        return total / ((double) n * m);
    }
}
