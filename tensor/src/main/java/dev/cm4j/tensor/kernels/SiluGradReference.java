package dev.cm4j.tensor.kernels;

/**
 * The plain SiLU-gradient loop: the reference {@link SiluGradVector} is tested against and the fallback without the
 * Vector API. Sigmoid is computed in double and rounded once.
 */
public final class SiluGradReference {
    private SiluGradReference() {
    }

    // g (n), x (n) -> dx (n); dx = g s (1 + x (1 - s)), s = sigmoid(x)
    public static void apply(float[] g, int gOff, float[] x, int xOff, float[] dx, int dOff, int n) {
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            float s = (float) (1.0 / (1.0 + Math.exp(-xi)));
            dx[dOff + i] = g[gOff + i] * s * (1f + xi * (1f - s));
        }
    }
}
