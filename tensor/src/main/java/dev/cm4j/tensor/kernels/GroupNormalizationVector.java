package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.L;
import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import jdk.incubator.vector.FloatVector;

/**
 * Vector API twins of {@link GroupNormalizationReference}'s block kernels. Loaded only behind {@code Simd.ENABLED}.
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
        int m = cg * s;
        double mu = sum(x, xOff, m) / m;
        // The deviations are taken from the float mean; its rounding error (< 1 ulp of mu) changes the variance by
        // (mu - float(mu))^2, far below float resolution.
        double r = 1.0 / Math.sqrt(sumSquaredDeviations(x, xOff, m, (float) mu) / m + eps);
        mean[ng] = (float) mu;
        rstd[ng] = (float) r;
        float m32 = (float) mu;
        FloatVector vmu = FloatVector.broadcast(S, m32);
        for (int ch = 0; ch < cg; ch++) {
            float a = (float) (r * gamma[gOff + ch]);
            float b = beta[bOff + ch];
            FloatVector va = FloatVector.broadcast(S, a);
            FloatVector vb = FloatVector.broadcast(S, b);
            int row = ch * s;
            int i = 0;
            for (; i <= s - L; i += L) {
                FloatVector.fromArray(S, x, xOff + row + i).sub(vmu).fma(va, vb).intoArray(y, yOff + row + i);
            }
            for (; i < s; i++) {
                y[yOff + row + i] = (x[xOff + row + i] - m32) * a + b;
            }
        }
    }

    static void backwardBlock(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int cg, int s,
                              float[] gamma, int gOff, float mean, float rstd,
                              double[] sumDy, double[] sumDyXhat, int nc0) {
        FloatVector vmean = FloatVector.broadcast(S, mean);
        FloatVector vrstd = FloatVector.broadcast(S, rstd);
        double sumG = 0;
        double sumGXhat = 0;
        for (int ch = 0; ch < cg; ch++) {
            int row = ch * s;
            double sdy = 0;
            double sdyx = 0;
            for (int s0 = 0; s0 < s; s0 += FLUSH) {
                int len = Math.min(FLUSH, s - s0);
                FloatVector accDy = FloatVector.zero(S);
                FloatVector accDyX = FloatVector.zero(S);
                int i = 0;
                for (; i <= len - L; i += L) {
                    int at = row + s0 + i;
                    FloatVector d = FloatVector.fromArray(S, dy, dyOff + at);
                    FloatVector xhat = FloatVector.fromArray(S, x, xOff + at).sub(vmean).mul(vrstd);
                    accDy = accDy.add(d);
                    accDyX = d.fma(xhat, accDyX);
                }
                sdy += VectorMath.sumLanes(accDy);
                sdyx += VectorMath.sumLanes(accDyX);
                for (; i < len; i++) {
                    int at = row + s0 + i;
                    float d = dy[dyOff + at];
                    sdy += d;
                    sdyx += d * ((x[xOff + at] - mean) * rstd);
                }
            }
            sumDy[nc0 + ch] = sdy;
            sumDyXhat[nc0 + ch] = sdyx;
            sumG += gamma[gOff + ch] * sdy;
            sumGXhat += gamma[gOff + ch] * sdyx;
        }
        int m = cg * s;
        float meanG = (float) (sumG / m);
        float meanGXhat = (float) (sumGXhat / m);
        FloatVector vMeanG = FloatVector.broadcast(S, meanG);
        FloatVector vMeanGXhat = FloatVector.broadcast(S, meanGXhat);
        for (int ch = 0; ch < cg; ch++) {
            float gam = gamma[gOff + ch];
            FloatVector vgam = FloatVector.broadcast(S, gam);
            int row = ch * s;
            int i = 0;
            for (; i <= s - L; i += L) {
                FloatVector xhat = FloatVector.fromArray(S, x, xOff + row + i).sub(vmean).mul(vrstd);
                FloatVector g = FloatVector.fromArray(S, dy, dyOff + row + i).mul(vgam).sub(vMeanG);
                xhat.neg().fma(vMeanGXhat, g).mul(vrstd).intoArray(dx, dxOff + row + i);
            }
            for (; i < s; i++) {
                float xhat = (x[xOff + row + i] - mean) * rstd;
                dx[dxOff + row + i] = rstd * (dy[dyOff + row + i] * gam - meanG - xhat * meanGXhat);
            }
        }
    }
}
