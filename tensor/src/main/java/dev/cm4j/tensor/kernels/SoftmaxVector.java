package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.L;
import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector API twins of {@link SoftmaxReference}'s row kernels. Loaded only behind {@code Simd.ENABLED}.
 *
 * <p>Sums run in vector lanes and are combined once per row, so they round differently from the scalar loop (by a
 * few ulps). exp and the lane sums are {@link VectorMath}'s, which round the same way in interpreted and
 * compiled code, so results are reproducible.
 */
final class SoftmaxVector {
    private SoftmaxVector() {
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
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, xOff + i).sub(vmax));
            e.intoArray(y, yOff + i);
            acc = acc.add(e);
        }
        float sum = VectorMath.sumLanes(acc);
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
        float sum = VectorMath.sumLanes(acc);
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
            acc = acc.add(VectorMath.exp(FloatVector.fromArray(S, x, xOff + i).sub(vmax)));
        }
        float sum = VectorMath.sumLanes(acc);
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
        float sum = VectorMath.sumLanes(acc);
        for (; i < n; i++) {
            sum += dy[dyOff + i];
        }
        FloatVector vsum = FloatVector.broadcast(S, sum);
        i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, y, yOff + i));
            FloatVector.fromArray(S, dy, dyOff + i).sub(e.mul(vsum)).intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) {
            dx[dxOff + i] = dy[dyOff + i] - (float) Math.exp(y[yOff + i]) * sum;
        }
    }
}
