package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plain and Vector API SiLU-gradient kernels against a double-precision formula, on odd lengths and offsets. */
class SiluGradTest {

    private static double reference(double g, double x) {
        double s = 1 / (1 + Math.exp(-x));
        return g * s * (1 + x * (1 - s));
    }

    @Test
    void bothPathsMatchTheDoubleReference() {
        Rng rng = new Rng(3);
        for (int n : new int[] {1, 7, 8, 15, 16, 17, 33, 100, 1023, 40_001}) {
            int off = n % 3;
            float[] g = rng.normal(n + off).toArray(), x = rng.uniform(-12f, 12f, n + off).toArray();
            float[] scalar = new float[n + 1], vector = new float[n + 1], dispatched = new float[n];
            SiluGradReference.apply(g, off, x, off, scalar, 1, n);
            SiluGradVector.apply(g, off, x, off, vector, 1, n);
            SiluGrad.apply(g, off, x, off, dispatched, 0, n);
            double worstScalar = 0, worstVector = 0, worstDispatch = 0;
            for (int i = 0; i < n; i++) {
                double ref = reference(g[off + i], x[off + i]);
                double tol = 1e-6 + 1e-5 * Math.abs(ref);
                worstScalar = Math.max(worstScalar, Math.abs(scalar[1 + i] - ref) / tol);
                worstVector = Math.max(worstVector, Math.abs(vector[1 + i] - ref) / tol);
                worstDispatch = Math.max(worstDispatch, Math.abs(dispatched[i] - ref) / tol);
            }
            assertTrue(worstScalar <= 1, "scalar n=" + n + ": error/tolerance " + worstScalar);
            assertTrue(worstVector <= 1, "vector n=" + n + ": error/tolerance " + worstVector);
            assertTrue(worstDispatch <= 1, "dispatch n=" + n + ": error/tolerance " + worstDispatch);
        }
    }

    /** The vector kernel's tail runs the body's arithmetic: a run split anywhere gives the bits of the whole run. */
    @Test
    void vectorBitsDoNotDependOnWhereARunIsSplit() {
        Rng rng = new Rng(4);
        int n = 1031;
        float[] g = rng.normal(n).toArray(), x = rng.uniform(-12f, 12f, n).toArray();
        float[] whole = new float[n];
        SiluGradVector.apply(g, 0, x, 0, whole, 0, n);
        for (int k : new int[] {1, 5, 9, 17, 33, 63, 1000}) {
            float[] split = new float[n];
            SiluGradVector.apply(g, 0, x, 0, split, 0, k);
            SiluGradVector.apply(g, k, x, k, split, k, n - k);
            for (int i = 0; i < n; i++) {
                assertTrue(Float.floatToRawIntBits(whole[i]) == Float.floatToRawIntBits(split[i]), "split at " + k
                        + ", element " + i + " (x = " + x[i] + "): " + split[i] + " vs " + whole[i] + " unsplit");
            }
        }
    }
}
