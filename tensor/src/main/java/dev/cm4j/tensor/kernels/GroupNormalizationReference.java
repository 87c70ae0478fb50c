package dev.cm4j.tensor.kernels;

/**
 * Group normalisation of one (n, group) block at a time in plain Java, statistics accumulated in double: the
 * reference {@link GroupNormalizationVector} is tested against and the fallback without the Vector API.
 * {@link GroupNormalization} splits the blocks over threads and picks this or the vector twin.
 */
public final class GroupNormalizationReference {
    private GroupNormalizationReference() {
    }

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
