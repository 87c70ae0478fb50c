package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import jdk.incubator.vector.FloatVector;

/**
 * Vector API twin of {@link AdamUpdateReference}; only referenced behind {@code Simd.ENABLED}. Every lane rounds the
 * reference's operations in its order, so the two give the same bits and the tail is left to the reference. The JIT
 * does not vectorize the plain loop when the four arrays come with separate offsets (it cannot rule out that they
 * overlap), which made the optimizer's step cost 4-5 ms for the 1.7 million parameters of the small U-Net.
 */
public final class AdamUpdateVector {
    private AdamUpdateVector() {
    }

    /** See {@link AdamUpdate#apply}. */
    public static void apply(float b1, float b2, float decay, float l2, float scale, float vScale, float eps,
                             boolean adaptive, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff,
                             float[] v, int vOff, int n) {
        float c1 = 1f - b1;
        float c2 = 1f - b2;
        int i = 0;
        for (int end = S.loopBound(n); i < end; i += S.length()) {
            FloatVector pi = FloatVector.fromArray(S, p, pOff + i).mul(decay);
            FloatVector gi = FloatVector.fromArray(S, g, gOff + i).add(pi.mul(l2));
            FloatVector mi = FloatVector.fromArray(S, m, mOff + i).mul(b1).add(gi.mul(c1));
            FloatVector vi = FloatVector.fromArray(S, v, vOff + i).mul(b2).add(gi.mul(c2).mul(gi));
            mi.intoArray(m, mOff + i);
            vi.intoArray(v, vOff + i);
            FloatVector step = adaptive ? mi.mul(scale).div(vi.sqrt().mul(vScale).add(eps)) : mi.mul(scale);
            pi.sub(step).intoArray(p, pOff + i);
        }
        if (i < n) {
            AdamUpdateReference.apply(b1, b2, decay, l2, scale, vScale, eps, adaptive, p, pOff + i, g, gOff + i, m,
                    mOff + i, v, vOff + i, n - i);
        }
    }
}
