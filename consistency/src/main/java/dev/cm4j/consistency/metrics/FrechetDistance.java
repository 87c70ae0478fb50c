package dev.cm4j.consistency.metrics;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Tensor;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Frechet distance between Gaussians fitted to two feature sets (Heusel et al. 2017; Dowson and Landau 1982), in
 * double precision (docs/ALGORITHMS.md#fd-evaluator):
 * <pre>
 *   FD = ||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^(1/2))
 * </pre>
 * with the means and the unbiased covariances (divisor n - 1, numpy's {@code np.cov}) of the features. The trace of
 * the square root is computed from symmetric matrices only: (S1 S2)^(1/2) is similar to
 * (S1^(1/2) S2 S1^(1/2))^(1/2), so its trace is the sum of sqrt(max(lambda_i, 0)) over the eigenvalues of the
 * symmetric positive semi-definite S1^(1/2) S2 S1^(1/2), and S1^(1/2) comes from the eigendecomposition of S1
 * (negative eigenvalues of rounding clipped to 0). EJML's symmetric eigendecomposition does both.
 *
 * <p>On the features of {@link FeatureClassifier} this is the Fashion-MNIST feature distance (FD), not comparable with
 * the Inception FID.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /**
     * The mean and covariance of a feature set.
     *
     * @param mean (d)
     * @param cov (d, d), symmetric, unbiased (divisor n - 1)
     * @param n the number of feature vectors they come from
     */
    public record Gaussian(double[] mean, DMatrixRMaj cov, int n) {
        public Gaussian {
            if (cov.numRows != mean.length || cov.numCols != mean.length) {
                throw new IllegalArgumentException("FrechetDistance.Gaussian: mean of " + mean.length
                        + " dimensions with a " + cov.numRows + " x " + cov.numCols + " covariance");
            }
        }

        public int dim() {
            return mean.length;
        }
    }

    /**
     * The mean and unbiased covariance of features (n, d), accumulated in double. Each covariance entry is summed by
     * one thread in row order, so the result does not depend on the thread count.
     *
     * @throws IllegalArgumentException unless features is (n, d) with n >= 2, or if a value is not finite
     */
    public static Gaussian fit(Tensor features) {
        if (features.rank() != 2 || features.dim(0) < 2 || features.dim(1) < 1) {
            throw new IllegalArgumentException("FrechetDistance.fit: need features (n, d) with n >= 2, got "
                    + java.util.Arrays.toString(features.shape()));
        }
        int n = features.dim(0);
        int d = features.dim(1);
        float[] f = features.data();
        int off = features.offset();
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                float v = f[off + i * d + j];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("FrechetDistance.fit: feature " + j + " of row " + i + " is "
                            + v);
                }
                mean[j] += v;
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        // centred copy, transposed (d, n), so that each covariance entry is a dot product of two contiguous rows
        double[] c = new double[d * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                c[j * n + i] = f[off + i * d + j] - mean[j];
            }
        }
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        double[] s = cov.data;
        Parallel.forRange(d, 1, (j0, j1) -> {
            for (int a = j0; a < j1; a++) {
                for (int b = a; b < d; b++) {
                    double acc = 0;
                    for (int i = 0, ia = a * n, ib = b * n; i < n; i++) {
                        acc += c[ia + i] * c[ib + i];
                    }
                    s[a * d + b] = acc / (n - 1);
                }
            }
        });
        for (int a = 0; a < d; a++) {
            for (int b = 0; b < a; b++) {
                s[a * d + b] = s[b * d + a];
            }
        }
        return new Gaussian(mean, cov, n);
    }

    /** The Frechet distance between the Gaussians fitted to features a (n, d) and b (m, d). */
    public static double distance(Tensor a, Tensor b) {
        SampleMetric.checkPair("FrechetDistance.distance", a, b);
        return distance(fit(a), fit(b));
    }

    /**
     * ||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^(1/2)). Rounding can leave a tiny negative value for equal
     * inputs; it is returned as it is, not clipped, so that it stays visible.
     */
    public static double distance(Gaussian g1, Gaussian g2) {
        if (g1.dim() != g2.dim()) {
            throw new IllegalArgumentException("FrechetDistance.distance: Gaussians of " + g1.dim() + " and "
                    + g2.dim() + " dimensions");
        }
        double meanTerm = 0;
        for (int j = 0; j < g1.dim(); j++) {
            double diff = g1.mean()[j] - g2.mean()[j];
            meanTerm += diff * diff;
        }
        double traces = CommonOps_DDRM.trace(g1.cov()) + CommonOps_DDRM.trace(g2.cov());
        return meanTerm + traces - 2 * traceSqrtProduct(g1.cov(), g2.cov());
    }

    /**
     * Tr((S1 S2)^(1/2)) for symmetric positive semi-definite S1 and S2 (d, d): the sum of the square roots of the
     * eigenvalues of S1^(1/2) S2 S1^(1/2), each clipped at 0.
     */
    public static double traceSqrtProduct(DMatrixRMaj s1, DMatrixRMaj s2) {
        DMatrixRMaj r = sqrtSymmetric(s1);
        DMatrixRMaj t = new DMatrixRMaj(r.numRows, r.numCols);
        DMatrixRMaj m = new DMatrixRMaj(r.numRows, r.numCols);
        CommonOps_DDRM.mult(r, s2, t);
        CommonOps_DDRM.mult(t, r, m);
        symmetrise(m);
        double sum = 0;
        for (double lambda : eigenvalues(m)) {
            sum += Math.sqrt(Math.max(lambda, 0));
        }
        return sum;
    }

    /** The symmetric square root V diag(sqrt(max(lambda, 0))) V^T of a symmetric matrix. */
    public static DMatrixRMaj sqrtSymmetric(DMatrixRMaj s) {
        int d = s.numRows;
        DMatrixRMaj sym = s.copy();
        symmetrise(sym);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(sym)) {
            throw new IllegalArgumentException("FrechetDistance.sqrtSymmetric: the eigendecomposition of a " + d
                    + " x " + d + " matrix failed (non-finite entries?)");
        }
        DMatrixRMaj out = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double root = Math.sqrt(Math.max(eig.getEigenvalue(k).real, 0));
            DMatrixRMaj v = eig.getEigenVector(k);
            for (int i = 0; i < d; i++) {
                double vi = root * v.data[i];
                for (int j = 0; j < d; j++) {
                    out.data[i * d + j] += vi * v.data[j];
                }
            }
        }
        return out;
    }

    private static double[] eigenvalues(DMatrixRMaj m) {
        int d = m.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, false, true);
        if (!eig.decompose(m.copy())) {
            throw new IllegalArgumentException("FrechetDistance: the eigendecomposition of a " + d + " x " + d
                    + " matrix failed (non-finite entries?)");
        }
        double[] out = new double[d];
        for (int k = 0; k < d; k++) {
            out[k] = eig.getEigenvalue(k).real;
        }
        java.util.Arrays.sort(out);
        return out;
    }

    /** (M + M^T) / 2 in place: removes the asymmetry of rounding before a symmetric decomposition. */
    private static void symmetrise(DMatrixRMaj m) {
        int d = m.numRows;
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double v = 0.5 * (m.data[i * d + j] + m.data[j * d + i]);
                m.data[i * d + j] = v;
                m.data[j * d + i] = v;
            }
        }
    }
}
