package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.L;
import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import jdk.incubator.vector.FloatVector;

/**
 * Vector API twins of {@link GroupNormalizationReference}'s block kernels and row helpers (the latter shared with
 * {@link GroupNormSiluVector}). Loaded only behind {@code Simd.ENABLED}.
 *
 * <p>Sums run in float lanes over stretches of at most {@link #FLUSH} values and are then added, lanes in order, into
 * a double: the rounding error of a float sum stays that of a short sum, and the order is fixed.
 */
final class GroupNormalizationVector {
    static final int FLUSH = 1024;

    private GroupNormalizationVector() {
    }

    /** Sum of x[off, off+n) in double. */
    static double sum(float[] x, int off, int n) {
        double total = 0;
        for (int s0 = 0; s0 < n; s0 += FLUSH) {
            int len = Math.min(FLUSH, n - s0);
            FloatVector acc = FloatVector.zero(S);
            int i = 0;
            for (; i <= len - L; i += L) {
                acc = acc.add(FloatVector.fromArray(S, x, off + s0 + i));
            }
            total += VectorMath.sumLanes(acc);
            for (; i < len; i++) {
                total += x[off + s0 + i];
            }
        }
        return total;
    }

    /** Sum of (x - mu)^2 over x[off, off+n) in double. */
    static double sumSquaredDeviations(float[] x, int off, int n, float mu) {
        FloatVector vmu = FloatVector.broadcast(S, mu);
        double total = 0;
        for (int s0 = 0; s0 < n; s0 += FLUSH) {
            int len = Math.min(FLUSH, n - s0);
            FloatVector acc = FloatVector.zero(S);
            int i = 0;
            for (; i <= len - L; i += L) {
                FloatVector d = FloatVector.fromArray(S, x, off + s0 + i).sub(vmu);
                acc = d.fma(d, acc);
            }
            total += VectorMath.sumLanes(acc);
            for (; i < len; i++) {
                double d = x[off + s0 + i] - mu;
                total += d * d;
            }
        }
        return total;
    }

    static void forwardBlock(float[] x, int xOff, float[] y, int yOff, int cg, int s, float eps,
                             float[] gamma, int gOff, float[] beta, int bOff, float[] mean, float[] rstd, int ng) {
        double r = statistics(x, xOff, cg * s, eps, mean, rstd, ng);
        for (int ch = 0; ch < cg; ch++) {
            affineRow(x, xOff + ch * s, y, yOff + ch * s, s, mean[ng], (float) (r * gamma[gOff + ch]),
                    beta[bOff + ch]);
        }
    }

    /** {@link GroupNormalizationReference#statistics} with vector sums. */
    static double statistics(float[] x, int off, int m, float eps, float[] mean, float[] rstd, int ng) {
        double mu = sum(x, off, m) / m;
        // The deviations are taken from the float mean; its rounding error (< 1 ulp of mu) changes the variance by
        // (mu - float(mu))^2, far below float resolution.
        double r = 1.0 / Math.sqrt(sumSquaredDeviations(x, off, m, (float) mu) / m + eps);
        mean[ng] = (float) mu;
        rstd[ng] = (float) r;
        return r;
    }

    // x (s) -> y (s): y = (x - mean) * a + b, fused multiply-add in the vector body
    static void affineRow(float[] x, int xOff, float[] y, int yOff, int s, float mean, float a, float b) {
        FloatVector vmu = FloatVector.broadcast(S, mean);
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        int i = 0;
        for (; i <= s - L; i += L) {
            FloatVector.fromArray(S, x, xOff + i).sub(vmu).fma(va, vb).intoArray(y, yOff + i);
        }
        for (; i < s; i++) {
            y[yOff + i] = (x[xOff + i] - mean) * a + b;
        }
    }

    static void backwardBlock(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int cg, int s,
                              float[] gamma, int gOff, float mean, float rstd,
                              double[] sumDy, double[] sumDyXhat, int nc0) {
        for (int ch = 0; ch < cg; ch++) {
            rowSums(dy, dyOff + ch * s, x, xOff + ch * s, s, mean, rstd, sumDy, sumDyXhat, nc0 + ch);
        }
        GroupNormalization.dxPass(true, dy, dyOff, x, xOff, dx, dxOff, cg, s, gamma, gOff, null, nc0, mean, rstd,
                sumDy, sumDyXhat);
    }

    /** {@link GroupNormalizationReference#rowSums} in float lanes flushed to double every {@link #FLUSH} values. */
    static void rowSums(float[] dy, int dyOff, float[] x, int xOff, int s, float mean, float rstd,
                        double[] sumDy, double[] sumDyXhat, int at) {
        FloatVector vmean = FloatVector.broadcast(S, mean);
        FloatVector vrstd = FloatVector.broadcast(S, rstd);
        double sdy = 0;
        double sdyx = 0;
        for (int s0 = 0; s0 < s; s0 += FLUSH) {
            int len = Math.min(FLUSH, s - s0);
            FloatVector accDy = FloatVector.zero(S);
            FloatVector accDyX = FloatVector.zero(S);
            int i = 0;
            for (; i <= len - L; i += L) {
                FloatVector d = FloatVector.fromArray(S, dy, dyOff + s0 + i);
                FloatVector xhat = FloatVector.fromArray(S, x, xOff + s0 + i).sub(vmean).mul(vrstd);
                accDy = accDy.add(d);
                accDyX = d.fma(xhat, accDyX);
            }
            sdy += VectorMath.sumLanes(accDy);
            sdyx += VectorMath.sumLanes(accDyX);
            for (; i < len; i++) {
                float d = dy[dyOff + s0 + i];
                sdy += d;
                sdyx += d * ((x[xOff + s0 + i] - mean) * rstd);
            }
        }
        sumDy[at] = sdy;
        sumDyXhat[at] = sdyx;
    }

    /** {@link GroupNormalizationReference#dxRow}; dx may be dy. */
    static void dxRow(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int s, float gam,
                      float mean, float rstd, float meanG, float meanGXhat) {
        FloatVector vmean = FloatVector.broadcast(S, mean);
        FloatVector vrstd = FloatVector.broadcast(S, rstd);
        FloatVector vMeanG = FloatVector.broadcast(S, meanG);
        FloatVector vMeanGXhat = FloatVector.broadcast(S, meanGXhat);
        FloatVector vgam = FloatVector.broadcast(S, gam);
        int i = 0;
        for (; i <= s - L; i += L) {
            FloatVector xhat = FloatVector.fromArray(S, x, xOff + i).sub(vmean).mul(vrstd);
            FloatVector g = FloatVector.fromArray(S, dy, dyOff + i).mul(vgam).sub(vMeanG);
            xhat.neg().fma(vMeanGXhat, g).mul(vrstd).intoArray(dx, dxOff + i);
        }
        for (; i < s; i++) {
            float xhat = (x[xOff + i] - mean) * rstd;
            dx[dxOff + i] = rstd * (dy[dyOff + i] * gam - meanG - xhat * meanGXhat);
        }
    }
}
