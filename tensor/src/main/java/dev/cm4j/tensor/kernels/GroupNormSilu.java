package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;

/**
 * Group normalisation, an optional per-sample scale-shift and SiLU in one pass, forward and backward: the
 * {@code GroupNorm -> SiLU} and {@code GroupNorm -> x (1 + scale) + shift -> SiLU} of the ADM U-Net's ResBlocks and
 * output head. Over x (N, C, S), with the statistics of {@link GroupNormalization} (mean and rstd per (n, group)),
 * <pre>
 *   z = xhat gamma[c] (1 + scale[n, c]) + beta[c] (1 + scale[n, c]) + shift[n, c],   y = z sigmoid(z)
 * </pre>
 * computed as z = (x - mean) a + b with a = rstd gamma (1 + scale) and b = beta (1 + scale) + shift per (n, c), so
 * neither the normalised x nor z is stored: the backward recomputes z from x with the same a and b (the same bits)
 * and gets dz = dy silu'(z) on the fly. With u = 1 + scale and the per-(n, c) sums Sdz = sum dz and
 * Sdzx = sum dz xhat,
 * <pre>
 *   dx = GroupNorm's backward of dz u (gamma u in the place of gamma)
 *   dgamma[c] = sum_n u Sdzx,  dbeta[c] = sum_n u Sdz,  dscale[n, c] = gamma Sdzx + beta Sdz,  dshift[n, c] = Sdz
 * </pre>
 * Without scale and shift (both null) u = 1 and the last two are not formed.
 *
 * <p>Each (n, group) block is computed by one thread and the per-(n, c) sums are reduced over n in a fixed order,
 * so results do not depend on the thread count. Blocks run {@link GroupNormSiluVector} when {@link Simd#ENABLED},
 * else the plain {@link GroupNormSiluReference}. The results differ from the unfused GroupNorm, scale-shift and SiLU
 * by float rounding only (a = rstd gamma is rounded once from the float rstd, and the scale-shift is folded into a
 * and b).
 */
public final class GroupNormSilu {
    private GroupNormSilu() {
    }

    // x (N,C,S), gamma (C), beta (C), scale (N,C) or null, shift (N,C) or null -> y (N,C,S), mean (N,G), rstd (N,G)
    public static void forward(int n, int c, int s, int groups, float eps, float[] x, int xOff, float[] gamma,
                               int gOff, float[] beta, int bOff, float[] scale, float[] shift, float[] y, int yOff,
                               float[] mean, float[] rstd) {
        checkScaleShift(scale, shift, n * c);
        int cg = c / groups;
        Parallel.forRange(n * groups, GroupNormalization.grain(cg * s), (start, end) -> {
            for (int ng = start; ng < end; ng++) {
                int block = ng * cg * s;
                int c0 = (ng % groups) * cg;
                int nc0 = (ng / groups) * c + c0;
                if (Simd.ENABLED) {
                    GroupNormSiluVector.forwardBlock(x, xOff + block, y, yOff + block, cg, s, eps, gamma, gOff + c0,
                            beta, bOff + c0, scale, shift, nc0, mean, rstd, ng);
                } else {
                    GroupNormSiluReference.forwardBlock(x, xOff + block, y, yOff + block, cg, s, eps, gamma,
                            gOff + c0, beta, bOff + c0, scale, shift, nc0, mean, rstd, ng);
                }
            }
        });
    }

    /**
     * The gradients from the saved mean and rstd; dx may be dy (each index is read before it is written). dscale and
     * dshift (N, C) are written only with scale and shift.
     */
    // dy (N,C,S), x (N,C,S), gamma, beta (C), scale, shift (N,C) or null, mean, rstd (N,G)
    //   -> dx (N,C,S), dgamma, dbeta (C), dscale, dshift (N,C)
    public static void backward(int n, int c, int s, int groups, float[] dy, int dyOff, float[] x, int xOff,
                                float[] gamma, int gOff, float[] beta, int bOff, float[] scale, float[] shift,
                                float[] mean, float[] rstd, float[] dx, int dxOff, float[] dgamma, float[] dbeta,
                                float[] dscale, float[] dshift) {
        checkScaleShift(scale, shift, n * c);
        int cg = c / groups;
        double[] sumDz = new double[n * c];
        double[] sumDzXhat = new double[n * c];
        Parallel.forRange(n * groups, GroupNormalization.grain(cg * s), (start, end) -> {
            for (int ng = start; ng < end; ng++) {
                int block = ng * cg * s;
                int c0 = (ng % groups) * cg;
                int nc0 = (ng / groups) * c + c0;
                if (Simd.ENABLED) {
                    GroupNormSiluVector.backwardBlock(dy, dyOff + block, x, xOff + block, dx, dxOff + block, cg, s,
                            gamma, gOff + c0, beta, bOff + c0, scale, shift, nc0, mean[ng], rstd[ng], sumDz,
                            sumDzXhat);
                } else {
                    GroupNormSiluReference.backwardBlock(dy, dyOff + block, x, xOff + block, dx, dxOff + block, cg,
                            s, gamma, gOff + c0, beta, bOff + c0, scale, shift, nc0, mean[ng], rstd[ng], sumDz,
                            sumDzXhat);
                }
            }
        });
        for (int ch = 0; ch < c; ch++) {
            double db = 0;
            double dg = 0;
            for (int b = 0; b < n; b++) {
                int nc = b * c + ch;
                float u = scaleFactor(scale, nc);
                db += u * sumDz[nc];
                dg += u * sumDzXhat[nc];
                if (scale != null) {
                    dscale[nc] = (float) (gamma[gOff + ch] * sumDzXhat[nc] + beta[bOff + ch] * sumDz[nc]);
                    dshift[nc] = (float) sumDz[nc];
                }
            }
            dbeta[ch] = (float) db;
            dgamma[ch] = (float) dg;
        }
    }

    /**
     * Whether the fused pass without scale-shift is expected to beat GroupNorm followed by SiLU for planes of s
     * values: with the Vector API only where a plane fills whole vectors (28x28, 8x8, 16x16...). A row's remainder
     * (1 of 49 values of a 7x7 plane, 4 of 196 of a 14x14 one) costs a scalar exponential per value, and a U-Net has
     * thousands of rows per pass, where the unfused SiLU runs over the whole tensor as one flat vector loop; in-JVM
     * A/B runs at those planes had the fused pass slower (docs/PERFORMANCE.md). With a scale-shift the fused pass
     * also saves two broadcast operations and their reductions, and wins at every plane measured.
     */
    public static boolean fusesPlain(int s) {
        return !Simd.ENABLED || s % FloatSpecies.L == 0;
    }

    /** The slope a = rstd gamma (1 + scale) of z = (x - mean) a + b for channel c of sample n; nc = n C + c. */
    static float slope(float rstd, float gamma, float[] scale, int nc) {
        float a = rstd * gamma;
        return scale == null ? a : a * (1f + scale[nc]);
    }

    /** The intercept b = beta (1 + scale) + shift of z = (x - mean) a + b. */
    static float intercept(float beta, float[] scale, float[] shift, int nc) {
        return scale == null ? beta : beta * (1f + scale[nc]) + shift[nc];
    }

    /** The factor u = 1 + scale by which dz reaches the normalised x. */
    static float scaleFactor(float[] scale, int nc) {
        return scale == null ? 1f : 1f + scale[nc];
    }

    private static void checkScaleShift(float[] scale, float[] shift, int nc) {
        if ((scale == null) != (shift == null)) {
            throw new IllegalArgumentException("GroupNormSilu: scale and shift must be given together or not at all");
        }
        if (scale != null && (scale.length < nc || shift.length < nc)) {
            throw new IllegalArgumentException("GroupNormSilu: scale (" + scale.length + ") and shift ("
                    + shift.length + ") must hold N*C = " + nc + " values");
        }
    }
}
