package dev.cm4j.consistency.metrics;

import dev.cm4j.tensor.MatMul;
import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Tensor;

/**
 * Improved precision and recall (Kynkaanniemi et al. 2019, section 2) of generated features against real ones
 * (docs/ALGORITHMS.md#fd-evaluator). Each point of a set gets a ball whose radius is the distance to its k-th nearest
 * neighbour within its own set (itself excluded); a set's manifold is the union of its balls.
 * <pre>
 *   precision = fraction of generated points inside the real manifold    (quality)
 *   recall    = fraction of real points inside the generated manifold    (coverage)
 * </pre>
 * A point lies inside when its distance to some ball's centre is at most that ball's radius. Distances are Euclidean;
 * squared distances are ||a||^2 + ||b||^2 - 2 a.b with the norms in double and the dot products from the float32
 * matrix product, whose sums have a fixed order, so the result does not depend on the thread count.
 *
 * <p>Cost: O((n + m)^2 d) multiply-adds for n generated and m real points, in blocks of {@link #BLOCK} rows.
 *
 * @param k the neighbour that sets the radii (3 in the paper)
 */
public record PrecisionRecall(int k) {
    /** Rows per block of the distance matrix: a block holds BLOCK x m floats. */
    static final int BLOCK = 512;

    public PrecisionRecall {
        if (k < 1) {
            throw new IllegalArgumentException("PrecisionRecall: k must be >= 1, got " + k);
        }
    }

    /** k = 3, the paper's choice. */
    public static PrecisionRecall paper() {
        return new PrecisionRecall(3);
    }

    /** The two scores, each in [0, 1]. */
    public record Scores(double precision, double recall) {
    }

    /**
     * Precision and recall of {@code generated} (n, d) against {@code real} (m, d).
     *
     * @throws IllegalArgumentException unless both are (rows, d) with the same d and more than k rows each
     */
    public Scores compute(Tensor real, Tensor generated) {
        SampleMetric.checkPair("PrecisionRecall.compute", real, generated);
        if (real.dim(0) <= k || generated.dim(0) <= k) {
            throw new IllegalArgumentException("PrecisionRecall.compute: k = " + k + " needs more than " + k
                    + " points per set, got " + real.dim(0) + " real and " + generated.dim(0) + " generated");
        }
        double[] realRadii = kthNeighbourDistances(real);
        double[] genRadii = kthNeighbourDistances(generated);
        double precision = fractionInside(generated, real, realRadii);
        double recall = fractionInside(real, generated, genRadii);
        return new Scores(precision, recall);
    }

    /**
     * For each row of x (n, d): the squared distance to its k-th nearest other row, the squared radius of its ball.
     * Public so that a distributed evaluation can compute the radii of one set once and share them.
     */
    public double[] kthNeighbourDistances(Tensor x) {
        int n = x.dim(0);
        double[] normsX = squaredNorms(x);
        double[] out = new double[n];
        forBlocks(x, x, normsX, normsX, (row, dist) -> {
            // the k smallest distances to other rows, ascending (k is small: insertion)
            double[] best = new double[k];
            java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
            for (int j = 0; j < dist.length; j++) {
                if (j == row) {
                    continue;
                }
                double v = dist[j];
                if (v < best[k - 1]) {
                    int p = k - 1;
                    while (p > 0 && best[p - 1] > v) {
                        best[p] = best[p - 1];
                        p--;
                    }
                    best[p] = v;
                }
            }
            out[row] = best[k - 1];
        });
        return out;
    }

    /**
     * The fraction of rows of q (n, d) within the ball of some row j of c (m, d), of squared radius radii[j]. Each row
     * of q is decided on its own, so the rows of q can be split over machines and the counts added.
     */
    public static double fractionInside(Tensor q, Tensor c, double[] radii) {
        boolean[] inside = new boolean[q.dim(0)];
        forBlocks(q, c, squaredNorms(q), squaredNorms(c), (row, dist) -> {
            for (int j = 0; j < dist.length; j++) {
                if (dist[j] <= radii[j]) {
                    inside[row] = true;
                    return;
                }
            }
        });
        int count = 0;
        for (boolean b : inside) {
            count += b ? 1 : 0;
        }
        return (double) count / inside.length;
    }

    /** Called with one row index of a and its squared distances to every row of b. */
    @FunctionalInterface
    interface RowBody {
        void row(int row, double[] squaredDistances);
    }

    /**
     * Squared distances of every row of a (n, d) to every row of b (m, d), BLOCK rows of a at a time; the rows of a
     * block are handed to {@code body} in parallel, each row by one thread.
     */
    static void forBlocks(Tensor a, Tensor b, double[] normsA, double[] normsB, RowBody body) {
        int n = a.dim(0);
        int m = b.dim(0);
        for (int r0 = 0; r0 < n; r0 += BLOCK) {
            int rows = Math.min(BLOCK, n - r0);
            int base = r0;
            // dots (rows, m) = a[r0 .. r0 + rows) b^T
            Tensor dots = MatMul.matmul(a.slice(0, r0, r0 + rows), b, false, true);
            float[] dd = dots.data();
            int off = dots.offset();
            Parallel.forRange(rows, 8, (i0, i1) -> {
                double[] dist = new double[m];
                for (int i = i0; i < i1; i++) {
                    double na = normsA[base + i];
                    for (int j = 0; j < m; j++) {
                        dist[j] = Math.max(0, na + normsB[j] - 2.0 * dd[off + i * m + j]);
                    }
                    body.row(base + i, dist);
                }
            });
        }
    }

    /** ||x_i||^2 of every row of x (n, d), in double. */
    static double[] squaredNorms(Tensor x) {
        int n = x.dim(0);
        int d = x.dim(1);
        float[] f = x.data();
        int off = x.offset();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                double v = f[off + i * d + j];
                s += v * v;
            }
            out[i] = s;
        }
        return out;
    }
}
