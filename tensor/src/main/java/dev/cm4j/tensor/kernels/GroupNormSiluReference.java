package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.kernels.Elementwise.Unary;

/**
 * {@link GroupNormSilu} one (n, group) block at a time in plain Java: the reference {@link GroupNormSiluVector} is
 * tested against and the fallback without the Vector API. The statistics and the GroupNorm parts of the backward are
 * {@link GroupNormalizationReference}'s; SiLU and its derivative are computed in double and rounded once, as in
 * {@link Elementwise} and {@link SiluGradReference}.
 */
public final class GroupNormSiluReference {
    private GroupNormSiluReference() {
    }

    /**
     * y = silu((x - mean) a + b) for the block of cg channels of s values at x[xOff]; writes mean[ng] and rstd[ng].
     * scale[nc0 + ch] and shift[nc0 + ch] (or null) belong to channel ch of the block.
     */
    public static void forwardBlock(float[] x, int xOff, float[] y, int yOff, int cg, int s, float eps,
                                    float[] gamma, int gOff, float[] beta, int bOff, float[] scale, float[] shift,
                                    int nc0, float[] mean, float[] rstd, int ng) {
        GroupNormalizationReference.statistics(x, xOff, cg * s, eps, mean, rstd, ng);
        float mu = mean[ng];
        for (int ch = 0; ch < cg; ch++) {
            float a = GroupNormSilu.slope(rstd[ng], gamma[gOff + ch], scale, nc0 + ch);
            float b = GroupNormSilu.intercept(beta[bOff + ch], scale, shift, nc0 + ch);
            forwardRow(x, xOff + ch * s, y, yOff + ch * s, s, mu, a, b);
        }
    }

    /**
     * The backward of one block: dz = dy silu'(z) (z recomputed) goes to dx, its per-channel sums Sdz and Sdz xhat to
     * sumDz[nc0 + ch] and sumDzXhat[nc0 + ch], then GroupNorm's dx of dz (1 + scale) is written over it. dx may be dy.
     */
    public static void backwardBlock(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int cg, int s,
                                     float[] gamma, int gOff, float[] beta, int bOff, float[] scale, float[] shift,
                                     int nc0, float mean, float rstd, double[] sumDz, double[] sumDzXhat) {
        for (int ch = 0; ch < cg; ch++) {
            float a = GroupNormSilu.slope(rstd, gamma[gOff + ch], scale, nc0 + ch);
            float b = GroupNormSilu.intercept(beta[bOff + ch], scale, shift, nc0 + ch);
            int row = ch * s;
            dzRow(dy, dyOff + row, x, xOff + row, dx, dxOff + row, s, mean, a, b);
            GroupNormalizationReference.rowSums(dx, dxOff + row, x, xOff + row, s, mean, rstd, sumDz, sumDzXhat,
                    nc0 + ch);
        }
        GroupNormalization.dxPass(false, dx, dxOff, x, xOff, dx, dxOff, cg, s, gamma, gOff, scale, nc0, mean, rstd,
                sumDz, sumDzXhat);
    }

    // x (len) -> y (len): y = silu(z), z = (x - mean) a + b; also the tails of GroupNormSiluVector's rows
    static void forwardRow(float[] x, int xOff, float[] y, int yOff, int len, float mean, float a, float b) {
        for (int i = 0; i < len; i++) {
            float z = (x[xOff + i] - mean) * a + b;
            y[yOff + i] = Unary.SILU.apply(z, 0f, 0f);
        }
    }

    // dy (len), x (len) -> dz (len) = dy silu'(z), z = (x - mean) a + b; dz may be dy
    static void dzRow(float[] dy, int dyOff, float[] x, int xOff, float[] dz, int dzOff, int len, float mean, float a,
                      float b) {
        for (int i = 0; i < len; i++) {
            float z = (x[xOff + i] - mean) * a + b;
            float sg = Unary.SIGMOID.apply(z, 0f, 0f);
            dz[dzOff + i] = dy[dyOff + i] * sg * (1f + z * (1f - sg));
        }
    }
}
