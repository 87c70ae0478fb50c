package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Simd;

/**
 * The element loop of the Adam family of optimizers over one run of a parameter, its gradient and its two moments:
 * <pre>
 *   p = p decay;  g = g + l2 p
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g g
 *   adaptive: p = p - scale m / (sqrt(v) vScale + eps)        otherwise: p = p - scale m
 * </pre>
 * in float32, each operation rounded once in the order written. Dispatches to {@link AdamUpdateVector} when
 * {@link Simd#ENABLED}, else to {@link AdamUpdateReference}; both round the same operations in the same order (no
 * fused multiply-add, and square root and division are correctly rounded in both), so they give the same bits. The
 * caller splits a parameter over threads; this loop runs on one.
 */
public final class AdamUpdate {
    private AdamUpdate() {
    }

    /**
     * Updates p[pOff, pOff + n), m and v in place from g.
     *
     * @param b1 decay of the first moment
     * @param b2 decay of the second moment
     * @param decay factor on the parameter before the step (1 without decoupled weight decay)
     * @param l2 weight of the parameter added to its gradient (0 without L2 weight decay)
     * @param scale step size applied to the first moment
     * @param vScale factor on sqrt(v) (bias correction)
     * @param eps added to the denominator
     * @param adaptive whether the step divides by sqrt(v) vScale + eps
     */
    public static void apply(float b1, float b2, float decay, float l2, float scale, float vScale, float eps,
                             boolean adaptive, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff,
                             float[] v, int vOff, int n) {
        if (Simd.ENABLED) {
            AdamUpdateVector.apply(b1, b2, decay, l2, scale, vScale, eps, adaptive, p, pOff, g, gOff, m, mOff, v, vOff,
                    n);
        } else {
            AdamUpdateReference.apply(b1, b2, decay, l2, scale, vScale, eps, adaptive, p, pOff, g, gOff, m, mOff, v,
                    vOff, n);
        }
    }
}
