package dev.cm4j.tensor.kernels;

/**
 * Group normalisation of one (n, group) block at a time in plain Java, statistics accumulated in double: the
 * reference {@link GroupNormalizationVector} is tested against and the fallback without the Vector API.
 * {@link GroupNormalization} splits the blocks over threads and picks this or the vector twin. The row helpers are
 * shared with {@link GroupNormSiluReference}.
 */
public final class GroupNormalizationReference {
    private GroupNormalizationReference() {
    }

    /** Normalises one (n, group) block of cg channels of s values; writes mean[ng] and rstd[ng]. */
    public static void forwardBlock(float[] x, int xOff, float[] y, int yOff, int cg, int s, float eps,
                                    float[] gamma, int gOff, float[] beta, int bOff, float[] mean, float[] rstd, int ng) {
        double r = statistics(x, xOff, cg * s, eps, mean, rstd, ng);
        for (int ch = 0; ch < cg; ch++) {
            // y = (x - mu) * (r * gamma) + beta; subtracting first keeps a large mean from cancelling digits
            affineRow(x, xOff + ch * s, y, yOff + ch * s, s, mean[ng], (float) (r * gamma[gOff + ch]),
                    beta[bOff + ch]);
        }
    }

    /**
     * Mean and 1/std (biased variance plus eps) of the m values at x[off], two passes in double: writes their float
     * roundings to mean[ng] and rstd[ng] and returns 1/std in double.
     */
    static double statistics(float[] x, int off, int m, float eps, float[] mean, float[] rstd, int ng) {
        double sum = 0;
        for (int i = 0; i < m; i++) {
            sum += x[off + i];
        }
        double mu = sum / m;
        double sq = 0;
        for (int i = 0; i < m; i++) {
            double d = x[off + i] - mu;
            sq += d * d;
        }
        double r = 1.0 / Math.sqrt(sq / m + eps);
        mean[ng] = (float) mu;
        rstd[ng] = (float) r;
        return r;
    }

    // x (s) -> y (s): y = (x - mean) * a + b
    static void affineRow(float[] x, int xOff, float[] y, int yOff, int s, float mean, float a, float b) {
        for (int i = 0; i < s; i++) {
            y[yOff + i] = (x[xOff + i] - mean) * a + b;
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
        for (int ch = 0; ch < cg; ch++) {
            rowSums(dy, dyOff + ch * s, x, xOff + ch * s, s, mean, rstd, sumDy, sumDyXhat, nc0 + ch);
        }
        GroupNormalization.dxPass(false, dy, dyOff, x, xOff, dx, dxOff, cg, s, gamma, gOff, null, nc0, mean, rstd,
                sumDy, sumDyXhat);
    }

    // dy (s), x (s) -> sumDy[at] = sum dy, sumDyXhat[at] = sum dy * xhat, xhat = (x - mean) * rstd
    static void rowSums(float[] dy, int dyOff, float[] x, int xOff, int s, float mean, float rstd,
                        double[] sumDy, double[] sumDyXhat, int at) {
        double sdy = 0;
        double sdyx = 0;
        for (int i = 0; i < s; i++) {
            float d = dy[dyOff + i];
            sdy += d;
            sdyx += d * ((x[xOff + i] - mean) * rstd);
        }
        sumDy[at] = sdy;
        sumDyXhat[at] = sdyx;
    }

    // dy (s), x (s) -> dx (s) = rstd (dy gam - meanG - xhat meanGXhat); dx may be dy (each index read, then written)
    static void dxRow(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int s, float gam,
                      float mean, float rstd, float meanG, float meanGXhat) {
        for (int i = 0; i < s; i++) {
            float xhat = (x[xOff + i] - mean) * rstd;
            dx[dxOff + i] = rstd * (dy[dyOff + i] * gam - meanG - xhat * meanGXhat);
        }
    }
}
