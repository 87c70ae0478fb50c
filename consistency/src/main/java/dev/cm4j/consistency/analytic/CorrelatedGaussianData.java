package dev.cm4j.consistency.analytic;

import dev.cm4j.consistency.model.Denoiser;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Data distributed as N(mu, Sigma) with a full covariance: the closed forms of {@link GaussianData} in the eigenbasis
 * Sigma = U diag(lambda) U^T, where every coordinate is an independent Gaussian. Unlike isotropic data, pixels
 * depend on each other, so the known part of an image says something about the rest (the test model of inpainting
 * and the other edits).
 *
 * <ul>
 *   <li>denoiser: {@code D(x, sigma) = mu + U diag(lambda / (lambda + sigma^2)) U^T (x - mu)};</li>
 *   <li>consistency function (the PF-ODE carried to time eps): {@code f(x, sigma) = mu + U diag(sqrt((lambda + eps^2)
 *       / (lambda + sigma^2))) U^T (x - mu)}, and f(x, eps) = x.</li>
 * </ul>
 *
 * Samples are vectors of dimension d = mu.length; a batch (B, ...) of any shape with B * d elements is accepted.
 */
public final class CorrelatedGaussianData {
    private final double[] mean;
    private final double[][] basis; // basis[k] = eigenvector k (d)
    private final double[] lambda;

    /** N(mean, cov); cov must be symmetric positive semi-definite of size d x d. */
    public CorrelatedGaussianData(double[] mean, double[][] cov) {
        int d = mean.length;
        if (d == 0 || cov.length != d) {
            throw new IllegalArgumentException("CorrelatedGaussianData: mean of " + d + " needs a " + d + "x" + d
                    + " covariance, got " + cov.length + " rows");
        }
        DMatrixRMaj m = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            if (cov[i].length != d) {
                throw new IllegalArgumentException("CorrelatedGaussianData: covariance row " + i + " has " + cov[i].length
                        + " entries, need " + d);
            }
            for (int j = 0; j < d; j++) {
                if (Math.abs(cov[i][j] - cov[j][i]) > 1e-9 * (1 + Math.abs(cov[i][j]))) {
                    throw new IllegalArgumentException("CorrelatedGaussianData: covariance is not symmetric at (" + i
                            + ", " + j + "): " + cov[i][j] + " vs " + cov[j][i]);
                }
                m.set(i, j, cov[i][j]);
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(m)) {
            throw new IllegalStateException("CorrelatedGaussianData: eigendecomposition failed");
        }
        this.mean = mean.clone();
        this.basis = new double[d][];
        this.lambda = new double[d];
        for (int k = 0; k < d; k++) {
            double l = eig.getEigenvalue(k).getReal();
            if (l < -1e-9) {
                throw new IllegalArgumentException("CorrelatedGaussianData: covariance has the negative eigenvalue " + l);
            }
            lambda[k] = Math.max(0, l);
            basis[k] = eig.getEigenVector(k).getData().clone();
        }
    }

    /**
     * Smooth random images (C, H, W) with mean 0: covariance {@code amplitude^2 exp(-|p - q|^2 / (2 length^2))
     * channel[c][c']} between pixel p of channel c and pixel q of channel c', plus {@code nugget^2} on the diagonal.
     */
    public static CorrelatedGaussianData smoothImages(int channels, int height, int width, double amplitude,
            double length, double[][] channel, double nugget) {
        int hw = height * width;
        int d = channels * hw;
        double[][] cov = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                int pi = i % hw;
                int pj = j % hw;
                double dy = pi / width - pj / width;
                double dx = pi % width - pj % width;
                double k = amplitude * amplitude * Math.exp(-(dy * dy + dx * dx) / (2 * length * length));
                cov[i][j] = k * channel[i / hw][j / hw] + (i == j ? nugget * nugget : 0);
            }
        }
        return new CorrelatedGaussianData(new double[d], cov);
    }

    /** The dimension d of one sample. */
    public int dimension() {
        return mean.length;
    }

    /** The covariance Sigma = U diag(lambda) U^T (d x d), rebuilt from the eigendecomposition. */
    public double[][] covariance() {
        int d = mean.length;
        double[][] cov = new double[d][d];
        for (int k = 0; k < d; k++) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    cov[i][j] += lambda[k] * basis[k][i] * basis[k][j];
                }
            }
        }
        return cov;
    }

    /**
     * The mean variance of the unknown coordinates given the known ones ({@code known[i]} true), the trace of
     * Sigma_UU - Sigma_UK Sigma_KK^-1 Sigma_KU over |U|: an exact conditional sample misses the truth by
     * sqrt(2 x this) in root mean square, the conditional mean by sqrt(this).
     */
    public double conditionalVariance(boolean[] known) {
        double[][] cov = covariance();
        int d = mean.length;
        int[] k = java.util.stream.IntStream.range(0, d).filter(i -> known[i]).toArray();
        int[] u = java.util.stream.IntStream.range(0, d).filter(i -> !known[i]).toArray();
        DMatrixRMaj kk = new DMatrixRMaj(k.length, k.length);
        DMatrixRMaj ku = new DMatrixRMaj(k.length, u.length);
        for (int a = 0; a < k.length; a++) {
            for (int b = 0; b < k.length; b++) {
                kk.set(a, b, cov[k[a]][k[b]]);
            }
            for (int b = 0; b < u.length; b++) {
                ku.set(a, b, cov[k[a]][u[b]]);
            }
        }
        DMatrixRMaj solved = new DMatrixRMaj(k.length, u.length);
        if (!org.ejml.dense.row.CommonOps_DDRM.solve(kk, ku, solved)) {
            throw new IllegalStateException("CorrelatedGaussianData.conditionalVariance: Sigma_KK is singular");
        }
        double trace = 0;
        for (int b = 0; b < u.length; b++) {
            double explained = 0;
            for (int a = 0; a < k.length; a++) {
                explained += ku.get(a, b) * solved.get(a, b);
            }
            trace += cov[u[b]][u[b]] - explained;
        }
        return trace / u.length;
    }

    /** n samples, shaped (n, shape...) where the shape holds d elements. */
    public Tensor sample(Rng rng, int n, int... shape) {
        int d = mean.length;
        Tensor z = rng.normal(n, d);
        float[] out = new float[n * d];
        for (int s = 0; s < n; s++) {
            double[] x = mean.clone();
            for (int k = 0; k < d; k++) {
                double c = Math.sqrt(lambda[k]) * z.data()[z.offset() + s * d + k];
                for (int i = 0; i < d; i++) {
                    x[i] += c * basis[k][i];
                }
            }
            for (int i = 0; i < d; i++) {
                out[s * d + i] = (float) x[i];
            }
        }
        int[] full = new int[shape.length + 1];
        full[0] = n;
        System.arraycopy(shape, 0, full, 1, shape.length);
        return Tensor.wrap(out, full);
    }

    /** The exact denoiser. */
    public Denoiser denoiser() {
        return (x, sigma, labels) -> apply(x, sigma, (l, s) -> l / (l + s * s));
    }

    /** The exact consistency function with boundary time {@code epsilon}. */
    public Denoiser consistencyFunction(double epsilon) {
        return (x, sigma, labels) -> apply(x, sigma, (l, s) -> Math.sqrt((l + epsilon * epsilon) / (l + s * s)));
    }

    private interface Gain {
        double of(double lambda, double sigma);
    }

    // x (B, d) -> mu + U diag(gain(lambda_k, sigma_b)) U^T (x_b - mu), per sample b
    private Tensor apply(Tensor x, float[] sigma, Gain gain) {
        int d = mean.length;
        if (x.rank() < 1 || x.dim(0) != sigma.length || x.size() != sigma.length * d) {
            throw new IllegalArgumentException("CorrelatedGaussianData: batch " + Arrays.toString(x.shape())
                    + " needs " + sigma.length + " samples of " + d + " values");
        }
        float[] in = x.data();
        float[] out = new float[x.size()];
        double[] v = new double[d];
        for (int b = 0; b < sigma.length; b++) {
            double[] y = mean.clone();
            for (int i = 0; i < d; i++) {
                v[i] = in[x.offset() + b * d + i] - mean[i];
            }
            for (int k = 0; k < d; k++) {
                double c = 0;
                for (int i = 0; i < d; i++) {
                    c += basis[k][i] * v[i];
                }
                c *= gain.of(lambda[k], sigma[b]);
                for (int i = 0; i < d; i++) {
                    y[i] += c * basis[k][i];
                }
            }
            for (int i = 0; i < d; i++) {
                out[b * d + i] = (float) y[i];
            }
        }
        return Tensor.wrap(out, x.shape());
    }
}
