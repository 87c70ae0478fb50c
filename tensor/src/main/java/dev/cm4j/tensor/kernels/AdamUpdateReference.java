package dev.cm4j.tensor.kernels;

/**
 * The plain loop of {@link AdamUpdate}: the reference {@link AdamUpdateVector} is tested against and the fallback
 * without the Vector API.
 */
public final class AdamUpdateReference {
    private AdamUpdateReference() {
    }

    /** See {@link AdamUpdate#apply}. */
    public static void apply(float b1, float b2, float decay, float l2, float scale, float vScale, float eps,
                             boolean adaptive, float[] p, int pOff, float[] g, int gOff, float[] m, int mOff,
                             float[] v, int vOff, int n) {
        float c1 = 1f - b1;
        float c2 = 1f - b2;
        for (int i = 0; i < n; i++) {
            float pi = p[pOff + i] * decay;
            float gi = g[gOff + i] + l2 * pi;
            float mi = b1 * m[mOff + i] + c1 * gi;
            float vi = b2 * v[vOff + i] + c2 * gi * gi;
            m[mOff + i] = mi;
            v[vOff + i] = vi;
            p[pOff + i] = adaptive ? pi - scale * mi / ((float) Math.sqrt(vi) * vScale + eps) : pi - scale * mi;
        }
    }
}
