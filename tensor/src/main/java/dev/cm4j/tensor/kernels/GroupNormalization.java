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
 * count. Each block runs {@link GroupNormalizationVector} when {@link Simd#ENABLED}, else the plain
 * {@link GroupNormalizationReference}.
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
                    GroupNormalizationReference.forwardBlock(x, xOff + block, y, yOff + block, cg, s, eps,
                            gamma, gOff + c0, beta, bOff + c0, mean, rstd, ng);
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
                    GroupNormalizationReference.backwardBlock(dy, dyOff + block, x, xOff + block, dx, dxOff + block,
                            cg, s, gamma, gOff + c0, mean[ng], rstd[ng], sumDy, sumDyXhat, nc0);
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

    /**
     * The second half of one block's backward, once the per-channel sums Sdy = sum dy and Sdyx = sum dy xhat are in
     * sumDy[nc0 + ch] and sumDyXhat[nc0 + ch]: with g = dy gamma, dx = rstd (g - mean(g) - xhat mean(g xhat)), where
     * mean(g) = sum_ch gamma Sdy / m. With scale (the fused scale-shift of {@link GroupNormSilu}) gamma (1 + scale)
     * takes the place of gamma. dx may be dy. {@code vector} picks the rows of {@link GroupNormalizationVector} (only
     * behind {@link Simd#ENABLED}) or of {@link GroupNormalizationReference}.
     */
    static void dxPass(boolean vector, float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int cg, int s,
                       float[] gamma, int gOff, float[] scale, int nc0, float mean, float rstd,
                       double[] sumDy, double[] sumDyXhat) {
        double sumG = 0;
        double sumGXhat = 0;
        for (int ch = 0; ch < cg; ch++) {
            float gu = gamma[gOff + ch] * GroupNormSilu.scaleFactor(scale, nc0 + ch);
            sumG += gu * sumDy[nc0 + ch];
            sumGXhat += gu * sumDyXhat[nc0 + ch];
        }
        int m = cg * s;
        float meanG = (float) (sumG / m);
        float meanGXhat = (float) (sumGXhat / m);
        for (int ch = 0; ch < cg; ch++) {
            float gu = gamma[gOff + ch] * GroupNormSilu.scaleFactor(scale, nc0 + ch);
            int row = ch * s;
            if (vector) {
                GroupNormalizationVector.dxRow(dy, dyOff + row, x, xOff + row, dx, dxOff + row, s, gu, mean, rstd,
                        meanG, meanGXhat);
            } else {
                GroupNormalizationReference.dxRow(dy, dyOff + row, x, xOff + row, dx, dxOff + row, s, gu, mean, rstd,
                        meanG, meanGXhat);
            }
        }
    }

    /** Blocks per task so that a task covers at least ~32k values. */
    static int grain(int blockSize) {
        return Math.max(1, 32768 / Math.max(1, blockSize));
    }
}
