package dev.cm4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API twins of {@link Softmax}'s row kernels. Loaded only behind {@code Simd.ENABLED}.
 *
 * <p>Sums run in vector lanes and are combined once per row, so they round differently from the scalar loop (by a
 * few ulps). exp is {@link #exp}, a polynomial built from adds and fmas only: the Vector API's own EXP may take a
 * different path in interpreted and compiled code and round differently, which would make results irreproducible.
 */
final class SoftmaxVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private SoftmaxVector() {
    }

    // Cephes expf: exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2], ln 2 split in two.
    private static final float EXP_LO = -87.3f;
    private static final float EXP_HI = 88.3f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = 0x4B400000;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /** exp of every lane, within ~2 ulp; 0 below -87.3 (so -infinity gives 0), clamped above 88.3. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = xc.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUND));
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, P0).fma(r, FloatVector.broadcast(S, P1));
        p = p.fma(r, FloatVector.broadcast(S, P2));
        p = p.fma(r, FloatVector.broadcast(S, P3));
        p = p.fma(r, FloatVector.broadcast(S, P4));
        p = p.fma(r, FloatVector.broadcast(S, P5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        // 2^n from the exponent bits: the integer n sits in t's low mantissa bits.
        IntVector bits = ((IntVector) t.reinterpretAsInts()).sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        y = y.mul(bits.reinterpretAsFloats());
        return y.blend(0f, x.lt(EXP_LO));
    }

    /**
     * The lanes of v added left to right. {@code reduceLanes(ADD)} leaves the order open, and compiled and interpreted
     * code may then round differently; a fixed order keeps results reproducible.
     */
    static float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float sum = 0f;
        for (float lane : lanes) {
            sum += lane;
        }
        return sum;
    }

    static float max(float[] x, int off, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i <= n - L; i += L) {
            m = m.max(FloatVector.fromArray(S, x, off + i));
        }
        float max = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        return max;
    }

    static void forwardRow(float[] x, int xOff, float[] y, int yOff, int n) {
        float max = max(x, xOff, n);
        FloatVector vmax = FloatVector.broadcast(S, max);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, x, xOff + i).sub(vmax));
            e.intoArray(y, yOff + i);
            acc = acc.add(e);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xOff + i] - max);
            y[yOff + i] = e;
            sum += e;
        }
        scale(y, yOff, n, 1f / sum);
    }

    static void scale(float[] y, int off, int n, float factor) {
        FloatVector f = FloatVector.broadcast(S, factor);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, y, off + i).mul(f).intoArray(y, off + i);
        }
        for (; i < n; i++) {
            y[off + i] *= factor;
        }
    }

    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) {
            acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    static void backwardRow(float[] dy, int dyOff, float[] y, int yOff, float[] dx, int dxOff, int n) {
        float dot = dot(dy, dyOff, y, yOff, n);
        FloatVector vdot = FloatVector.broadcast(S, dot);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector yv = FloatVector.fromArray(S, y, yOff + i);
            FloatVector.fromArray(S, dy, dyOff + i).sub(vdot).mul(yv).intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) {
            dx[dxOff + i] = y[yOff + i] * (dy[dyOff + i] - dot);
        }
    }

    static void logForwardRow(float[] x, int xOff, float[] y, int yOff, int n) {
        float max = max(x, xOff, n);
        FloatVector vmax = FloatVector.broadcast(S, max);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) {
            acc = acc.add(exp(FloatVector.fromArray(S, x, xOff + i).sub(vmax)));
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += (float) Math.exp(x[xOff + i] - max);
        }
        float shift = max + (float) Math.log(sum);
        FloatVector vshift = FloatVector.broadcast(S, shift);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(S, x, xOff + i).sub(vshift).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = x[xOff + i] - shift;
        }
    }

    static void logBackwardRow(float[] dy, int dyOff, float[] y, int yOff, float[] dx, int dxOff, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - L; i += L) {
            acc = acc.add(FloatVector.fromArray(S, dy, dyOff + i));
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += dy[dyOff + i];
        }
        FloatVector vsum = FloatVector.broadcast(S, sum);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, y, yOff + i));
            FloatVector.fromArray(S, dy, dyOff + i).sub(e.mul(vsum)).intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) {
            dx[dxOff + i] = dy[dyOff + i] - (float) Math.exp(y[yOff + i]) * sum;
        }
    }
}
