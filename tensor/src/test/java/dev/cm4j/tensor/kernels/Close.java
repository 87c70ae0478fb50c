package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cm4j.tensor.Rng;

/** Comparison helpers for kernel tests: report the largest difference and where it is. */
public final class Close {
    private Close() {
    }

    /**
     * Asserts max |actual - expected| <= tol * (1 + max |expected|): an error measured against the scale of the result,
     * which is what float accumulation errors follow.
     */
    public static void assertClose(String what, double[] expected, float[] actual, int actualOff, double tol) {
        double maxAbs = 0;
        for (double e : expected) {
            maxAbs = Math.max(maxAbs, Math.abs(e));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(actual[actualOff + i] - expected[i]);
            if (!(diff <= worst)) {
                worst = diff;
                at = i;
            }
        }
        double bound = tol * (1 + maxAbs);
        if (!(worst <= bound)) {
            fail(what + ": max diff " + worst + " at " + at + " (expected " + expected[at] + ", got "
                    + actual[actualOff + at] + "), bound " + bound);
        }
    }

    public static void assertClose(String what, double[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length, what + ": length");
        assertClose(what, expected, actual, 0, tol);
    }

    public static void assertClose(String what, double[] expected, double[] actual, double tol) {
        double maxAbs = 0;
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            double diff = Math.abs(actual[i] - expected[i]);
            if (!(diff <= worst)) {
                worst = diff;
                at = i;
            }
        }
        if (!(worst <= tol * (1 + maxAbs))) {
            fail(what + ": max diff " + worst + " at " + at + " (expected " + expected[at] + ", got " + actual[at]
                    + "), bound " + tol * (1 + maxAbs));
        }
    }

    /** n standard normal floats from a seeded stream. */
    public static float[] randn(long seed, int n) {
        float[] a = new float[n];
        new Rng(seed).fillNormal(a, 0, n);
        return a;
    }

    public static double dot(float[] a, float[] b) {
        double acc = 0;
        for (int i = 0; i < a.length; i++) {
            acc += (double) a[i] * b[i];
        }
        return acc;
    }
}
