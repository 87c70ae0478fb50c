package dev.cm4j.spark;

import dev.cm4j.consistency.metrics.FrechetDistance;
import java.io.Serializable;
import org.ejml.data.DMatrixRMaj;

/**
 * The moments of a feature set that the Frechet distance needs, in double: the count n, the sum of the rows and the
 * sum of their outer products. Moments of disjoint parts add up to the moments of the whole ({@link #merge}), which is
 * what Spark's {@code treeAggregate} combines; the mean and the unbiased covariance follow at the end:
 * <pre>
 *   mu = s / n        S = (Q - n mu mu^T) / (n - 1)        s = sum_i x_i,  Q = sum_i x_i x_i^T
 * </pre>
 * One machine's {@link FrechetDistance#fit} centres first (two passes); the one-pass form agrees to rounding, far
 * below 1e-9 relative in the distance for features of order one.
 */
public final class FeatureMoments implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int d;
    private long n;
    private final double[] sum;
    /** The upper triangle and diagonal of Q, row-major (d, d); the lower triangle is filled by {@link #gaussian}. */
    private final double[] outer;

    /** No rows yet, of {@code d} features. */
    public FeatureMoments(int d) {
        if (d < 1) {
            throw new IllegalArgumentException("FeatureMoments: dimension " + d + " must be >= 1");
        }
        this.d = d;
        this.sum = new double[d];
        this.outer = new double[d * d];
    }

    /** The rows seen so far. */
    public long count() {
        return n;
    }

    /** The feature dimension d. */
    public int dim() {
        return d;
    }

    /**
     * Adds {@code rows} feature vectors, x (rows, d) row-major from {@code x[off]}.
     *
     * @throws IllegalArgumentException if the array is too short or a value is not finite
     */
    public FeatureMoments add(float[] x, int off, int rows) {
        if (rows < 0 || off < 0 || (long) off + (long) rows * d > x.length) {
            throw new IllegalArgumentException("FeatureMoments.add: " + rows + " rows of " + d + " from " + off
                    + " in an array of " + x.length);
        }
        double[] row = new double[d];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < d; j++) {
                float v = x[off + i * d + j];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("FeatureMoments.add: feature " + j + " of row " + i + " is "
                            + v);
                }
                row[j] = v;
                sum[j] += v;
            }
            for (int a = 0; a < d; a++) {
                double ra = row[a];
                for (int b = a, at = a * d + a; b < d; b++, at++) {
                    outer[at] += ra * row[b];
                }
            }
        }
        n += rows;
        return this;
    }

    /** Adds the moments of another, disjoint part of the set into this one. */
    public FeatureMoments merge(FeatureMoments other) {
        if (other.d != d) {
            throw new IllegalArgumentException("FeatureMoments.merge: " + other.d + " features into " + d);
        }
        n += other.n;
        for (int j = 0; j < d; j++) {
            sum[j] += other.sum[j];
        }
        for (int i = 0; i < outer.length; i++) {
            outer[i] += other.outer[i];
        }
        return this;
    }

    /**
     * The mean and unbiased covariance, as {@link FrechetDistance#fit} gives them.
     *
     * @throws IllegalStateException with fewer than 2 rows
     */
    public FrechetDistance.Gaussian gaussian() {
        if (n < 2) {
            throw new IllegalStateException("FeatureMoments.gaussian: " + n + " rows; a covariance needs 2 or more");
        }
        double[] mean = new double[d];
        for (int j = 0; j < d; j++) {
            mean[j] = sum[j] / n;
        }
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                double c = (outer[a * d + b] - n * mean[a] * mean[b]) / (n - 1);
                cov.data[a * d + b] = c;
                cov.data[b * d + a] = c;
            }
        }
        return new FrechetDistance.Gaussian(mean, cov, Math.toIntExact(n));
    }
}
