package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Parallel;
import dev.cm4j.tensor.Simd;

/**
 * The SiLU derivative fused with the chain rule, the one backward of the U-Net and MLP hot loops that has no forward
 * kernel to lean on: dx = g s (1 + x (1 - s)) with s = sigmoid(x), in one pass instead of six tensor passes.
 *
 * <p>Dispatches to {@link SiluGradVector} when {@link Simd#ENABLED}, else to {@link SiluGradReference}. The two
 * differ by an ulp or two (the vector exponential is a polynomial, the scalar one {@code Math.exp} in double), so the
 * vector twin never hands its tail to the scalar one: it runs the tail as a masked vector operation. The split over
 * threads is aligned to 64 elements as well, so either way a thread count never changes a bit.
 */
public final class SiluGrad {
    private static final int GRAIN = 1 << 14;
    /** Chunk boundaries: a multiple of every SIMD width. */
    private static final int ALIGN = 64;

    private SiluGrad() {
    }

    // g (n), x (n) -> dx (n)
    public static void apply(float[] g, int gOff, float[] x, int xOff, float[] dx, int dOff, int n) {
        Parallel.forRange(n, GRAIN, ALIGN, (s, e) -> {
            if (Simd.ENABLED) {
                SiluGradVector.apply(g, gOff + s, x, xOff + s, dx, dOff + s, e - s);
            } else {
                SiluGradReference.apply(g, gOff + s, x, xOff + s, dx, dOff + s, e - s);
            }
        });
    }
}
