package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;

/**
 * Group normalisation (Wu and He, 2018), forward and backward, over x (N, C, S) where S is the product of the trailing
 * (spatial) dimensions: the C channels form {@code groups} groups of C/groups consecutive channels, and each (n, group)
 * block of (C/groups)*S contiguous values is normalised by its own mean and variance, then scaled per channel.
 *
 * <p>Statistics: two passes (mean, then the mean of squared deviations), each accumulated in double. Variance is the
 * biased one (divide by the block size), as in PyTorch. Each (n, group) block is computed by one thread; the channel
 * sums for dgamma and dbeta are kept per (n, c) and added over n in order, so results do not depend on the thread
 * count. The scalar block kernels here are the reference; {@link GroupNormalizationVector} holds their Vector API
 * twins.
 */
public final class GroupNormalization {
    private GroupNormalization() {
    }

    // x (N,C,S), gamma (C), beta (C) -> y (N,C,S), mean (N,G), rstd (N,G)
    public static void forward(int n, int c, int s, int groups, float eps, float[] x, int xOff, float[] gamma, int gOff,
                               float[] beta, int bOff, float[] y, int yOff, float[] mean, float[] rstd) {
        int cg = c / groups;
        Parallel.forRange(n * groups, grain(cg * s), (start, end) -> {
            for (int ng = start; ng < end; ng++) {
                int block = ng * cg * s;
                int c0 = (ng % groups) * cg;
                if (Simd.ENABLED) {
                    GroupNormalizationVector.forwardBlock(x, xOff + block, y, yOff + block, cg, s, eps,
                            gamma, gOff + c0, beta, bOff + c0, mean, rstd, ng);
                } else {
                    forwardBlock(x, xOff + block, y, yOff + block, cg, s, eps, gamma, gOff + c0, beta, bOff + c0,
                            mean, rstd, ng);
                }
            }
        });
    }

    // dy (N,C,S), x (N,C,S), gamma (C), mean, rstd (N,G) -> dx (N,C,S), dgamma (C), dbeta (C)
    public static void backward(int n, int c, int s, int groups, float[] dy, int dyOff, float[] x, int xOff,
                                float[] gamma, int gOff, float[] mean, float[] rstd,
                                float[] dx, int dxOff, float[] dgamma, float[] dbeta) {
        int cg = c / groups;
        // Per (n, c) sums of dy and dy * xhat, reduced over n afterwards in a fixed order.
        double[] sumDy = new double[n * c];
        double[] sumDyXhat = new double[n * c];
        Parallel.forRange(n * groups, grain(cg * s), (start, end) -> {
            for (int ng = start; ng < end; ng++) {
                int block = ng * cg * s;
                int c0 = (ng % groups) * cg;
                int nc0 = (ng / groups) * c + c0;
                if (Simd.ENABLED) {
                    GroupNormalizationVector.backwardBlock(dy, dyOff + block, x, xOff + block, dx, dxOff + block, cg, s,
                            gamma, gOff + c0, mean[ng], rstd[ng], sumDy, sumDyXhat, nc0);
                } else {
                    backwardBlock(dy, dyOff + block, x, xOff + block, dx, dxOff + block, cg, s,
                            gamma, gOff + c0, mean[ng], rstd[ng], sumDy, sumDyXhat, nc0);
                }
            }
        });
        for (int ch = 0; ch < c; ch++) {
            double db = 0;
            double dg = 0;
            for (int b = 0; b < n; b++) {
                db += sumDy[b * c + ch];
                dg += sumDyXhat[b * c + ch];
            }
            dbeta[ch] = (float) db;
            dgamma[ch] = (float) dg;
        }
    }

    /** Blocks per task so that a task covers at least ~32k values. */
    private static int grain(int blockSize) {
        return Math.max(1, 32768 / Math.max(1, blockSize));
    }

    // ---------------------------------------------------------------- scalar block kernels

    /** Normalises one (n, group) block of cg channels of s values; writes mean[ng] and rstd[ng]. */
    public static void forwardBlock(float[] x, int xOff, float[] y, int yOff, int cg, int s, float eps,
                                    float[] gamma, int gOff, float[] beta, int bOff, float[] mean, float[] rstd, int ng) {
        int m = cg * s;
        double sum = 0;
        for (int i = 0; i < m; i++) {
            sum += x[xOff + i];
        }
        double mu = sum / m;
        double sq = 0;
        for (int i = 0; i < m; i++) {
            double d = x[xOff + i] - mu;
            sq += d * d;
        }
        double r = 1.0 / Math.sqrt(sq / m + eps);
        mean[ng] = (float) mu;
        rstd[ng] = (float) r;
        float m32 = (float) mu;
        for (int ch = 0; ch < cg; ch++) {
            // y = (x - mu) * (r * gamma) + beta; subtracting first keeps a large mean from cancelling digits
            float a = (float) (r * gamma[gOff + ch]);
            float b = beta[bOff + ch];
            int row = ch * s;
            for (int i = 0; i < s; i++) {
                y[yOff + row + i] = (x[xOff + row + i] - m32) * a + b;
            }
        }
    }

    /**
     * Backward of one block: with xhat = (x - mean) * rstd and g = dy * gamma,
     * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)). Adds the block's per-channel sums of dy and dy * xhat into
     * sumDy[nc0 + ch] and sumDyXhat[nc0 + ch].
     */
    public static void backwardBlock(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int cg, int s,
                                     float[] gamma, int gOff, float mean, float rstd,
                                     double[] sumDy, double[] sumDyXhat, int nc0) {
        double sumG = 0;
        double sumGXhat = 0;
        for (int ch = 0; ch < cg; ch++) {
            int row = ch * s;
            double sdy = 0;
            double sdyx = 0;
            for (int i = 0; i < s; i++) {
                float d = dy[dyOff + row + i];
                sdy += d;
                sdyx += d * ((x[xOff + row + i] - mean) * rstd);
            }
            sumDy[nc0 + ch] = sdy;
            sumDyXhat[nc0 + ch] = sdyx;
            sumG += gamma[gOff + ch] * sdy;
            sumGXhat += gamma[gOff + ch] * sdyx;
        }
        int m = cg * s;
        float meanG = (float) (sumG / m);
        float meanGXhat = (float) (sumGXhat / m);
        for (int ch = 0; ch < cg; ch++) {
            float gam = gamma[gOff + ch];
            int row = ch * s;
            for (int i = 0; i < s; i++) {
                float xhat = (x[xOff + row + i] - mean) * rstd;
                dx[dxOff + row + i] = rstd * (dy[dyOff + row + i] * gam - meanG - xhat * meanGXhat);
            }
        }
    }
}
