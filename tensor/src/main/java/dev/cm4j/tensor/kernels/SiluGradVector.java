package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Vector API twin of {@link SiluGradReference}; only referenced behind {@code Simd.ENABLED}. The exponential is
 * {@link VectorMath#exp} (fma-only, so bit-reproducible whether or not the JIT has compiled it). The tail
 * runs the same vector expression under a mask, so an element's bits do not depend on where its run ends (a thread's
 * chunk or the array). The reference computes sigmoid in double and differs by an ulp or two.
 */
public final class SiluGradVector {
    private SiluGradVector() {
    }

    // g (n), x (n) -> dx (n)
    public static void apply(float[] g, int gOff, float[] x, int xOff, float[] dx, int dOff, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int end = S.loopBound(n); i < end; i += S.length()) {
            FloatVector vx = FloatVector.fromArray(S, x, xOff + i);
            FloatVector.fromArray(S, g, gOff + i).mul(derivative(one, vx)).intoArray(dx, dOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector vx = FloatVector.fromArray(S, x, xOff + i, m);
            FloatVector.fromArray(S, g, gOff + i, m).mul(derivative(one, vx)).intoArray(dx, dOff + i, m);
        }
    }

    /** s (1 + x (1 - s)) with s = sigmoid(x), per lane. */
    static FloatVector derivative(FloatVector one, FloatVector vx) {
        FloatVector s = one.div(one.add(VectorMath.exp(vx.neg())));
        return vx.mul(one.sub(s)).add(one).mul(s);
    }
}
