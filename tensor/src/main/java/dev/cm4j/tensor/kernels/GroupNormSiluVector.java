package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import jdk.incubator.vector.FloatVector;

/**
 * Vector API twin of {@link GroupNormSiluReference}; only referenced behind {@code Simd.ENABLED}. The statistics and
 * the GroupNorm parts of the backward are {@link GroupNormalizationVector}'s; z = (x - mean) a + b is one fused
 * multiply-add, and SiLU and its derivative use {@link VectorMath#exp} as {@link ElementwiseVector} and
 * {@link SiluGradVector} do. A row's tail (fewer than a vector's lanes: 1 of 49 values in a 7x7 plane, 4 of 196 in a
 * 14x14 one) runs {@link GroupNormSiluReference}'s scalar loops, which cost less than a masked vector operation per
 * row; forward and backward treat each position alike, so the backward recomputes exactly the forward's z.
 */
final class GroupNormSiluVector {
    private GroupNormSiluVector() {
    }

    static void forwardBlock(float[] x, int xOff, float[] y, int yOff, int cg, int s, float eps,
                             float[] gamma, int gOff, float[] beta, int bOff, float[] scale, float[] shift,
                             int nc0, float[] mean, float[] rstd, int ng) {
        GroupNormalizationVector.statistics(x, xOff, cg * s, eps, mean, rstd, ng);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector vmu = FloatVector.broadcast(S, mean[ng]);
        for (int ch = 0; ch < cg; ch++) {
            float a = GroupNormSilu.slope(rstd[ng], gamma[gOff + ch], scale, nc0 + ch);
            float b = GroupNormSilu.intercept(beta[bOff + ch], scale, shift, nc0 + ch);
            FloatVector va = FloatVector.broadcast(S, a);
            FloatVector vb = FloatVector.broadcast(S, b);
            int xr = xOff + ch * s;
            int yr = yOff + ch * s;
            int i = 0;
            for (int e = S.loopBound(s); i < e; i += S.length()) {
                FloatVector z = FloatVector.fromArray(S, x, xr + i).sub(vmu).fma(va, vb);
                z.div(one.add(VectorMath.exp(z.neg()))).intoArray(y, yr + i);
            }
            GroupNormSiluReference.forwardRow(x, xr + i, y, yr + i, s - i, mean[ng], a, b);
        }
    }

    static void backwardBlock(float[] dy, int dyOff, float[] x, int xOff, float[] dx, int dxOff, int cg, int s,
                              float[] gamma, int gOff, float[] beta, int bOff, float[] scale, float[] shift,
                              int nc0, float mean, float rstd, double[] sumDz, double[] sumDzXhat) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector vmu = FloatVector.broadcast(S, mean);
        for (int ch = 0; ch < cg; ch++) {
            float a = GroupNormSilu.slope(rstd, gamma[gOff + ch], scale, nc0 + ch);
            float b = GroupNormSilu.intercept(beta[bOff + ch], scale, shift, nc0 + ch);
            FloatVector va = FloatVector.broadcast(S, a);
            FloatVector vb = FloatVector.broadcast(S, b);
            int row = ch * s;
            int xr = xOff + row;
            int dyr = dyOff + row;
            int dxr = dxOff + row;
            int i = 0;
            for (int e = S.loopBound(s); i < e; i += S.length()) {
                FloatVector z = FloatVector.fromArray(S, x, xr + i).sub(vmu).fma(va, vb);
                FloatVector.fromArray(S, dy, dyr + i).mul(SiluGradVector.derivative(one, z)).intoArray(dx, dxr + i);
            }
            GroupNormSiluReference.dzRow(dy, dyr + i, x, xr + i, dx, dxr + i, s - i, mean, a, b);
            // dz is in dx now; its row is still in the L1 cache for the sums
            GroupNormalizationVector.rowSums(dx, dxr, x, xr, s, mean, rstd, sumDz, sumDzXhat, nc0 + ch);
        }
        GroupNormalization.dxPass(true, dx, dxOff, x, xOff, dx, dxOff, cg, s, gamma, gOff, scale, nc0, mean, rstd,
                sumDz, sumDzXhat);
    }
}
