package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import org.junit.jupiter.api.Test;

/** The Vector API row of the Gaussian-kernel average against the plain one, on odd sizes, both sides of the cutoff. */
class GaussianWeightsTest {

    @Test
    void vectorAgreesWithTheReference() {
        Rng rng = new Rng(21);
        for (int per : new int[] {1, 2, 3, 5}) {
            for (int refs : new int[] {1, 3, 7, 8, 9, 16, 17, 100, 2051}) {
                for (double t : new double[] {0.002, 0.05, 0.6, 5, 80}) {
                    float[] points = rng.uniform(-1f, 1f, refs * per).toArray();
                    double[] refT = new double[refs * per];
                    for (int j = 0; j < refs; j++) {
                        for (int e = 0; e < per; e++) {
                            refT[e * refs + j] = points[j * per + e];
                        }
                    }
                    // the query: reference 0 plus noise of level t; x: reference 0 (offsets 1 and 2 in the arrays)
                    float[] q = new float[per + 1];
                    float[] x = new float[per + 2];
                    float[] z = rng.normal(per).toArray();
                    for (int e = 0; e < per; e++) {
                        q[1 + e] = points[e] + (float) t * z[e];
                        x[2 + e] = points[e];
                    }
                    double inv = 1 / (2 * t * t);
                    double[] w0 = new double[refs], w1 = new double[refs + 3], a0 = new double[per], a1 = new double[per];
                    double s0 = GaussianWeightsReference.row(q, 1, x, 2, refT, refs, per, inv, -50, w0, a0);
                    double s1 = GaussianWeightsVector.row(q, 1, x, 2, refT, refs, per, inv, -50, w1, a1);
                    String where = "per " + per + ", refs " + refs + ", t " + t;
                    assertTrue(s0 >= 1 && s1 >= 1, where + ": the nearest reference weighs 1, sums " + s0 + ", " + s1);
                    assertEquals(s0, s1, 1e-13 * s0, where + ": sum");
                    int kept = 0;
                    for (int j = 0; j < refs; j++) {
                        assertEquals(w0[j], w1[j], 1e-14 * Math.max(1e-300, w0[j]) + 1e-300, where + ": w[" + j + "]");
                        assertEquals(w0[j] == 0, w1[j] == 0, where + ": the cutoff drops w[" + j + "] on one path only");
                        kept += w0[j] != 0 ? 1 : 0;
                    }
                    assertTrue(kept >= 1, where);
                    for (int e = 0; e < per; e++) {
                        // the weighted mean of r_j - x: its scale is the spread of the references, at most 2 here
                        assertEquals(a0[e] / s0, a1[e] / s1, 1e-12, where + ": mean difference " + e);
                    }
                }
            }
        }
    }

    /** At a tiny t only the nearest reference counts: the mean difference is exactly that reference minus x. */
    @Test
    void smallNoiseSelectsTheNearestReference() {
        double[] refT = {0.0, 1.0, -1.0, /* e = 1: */ 0.0, 1.0, 1.0};
        float[] q = {0.9f, 1.05f};
        float[] x = {0.5f, 0.5f};
        double[] w = new double[3], acc = new double[2];
        double sum = GaussianWeights.row(q, 0, x, 0, refT, 3, 2, 1 / (2 * 0.01 * 0.01), -50, w, acc);
        assertEquals(1.0, sum);
        assertEquals(0.0, w[0]);
        assertEquals(1.0, w[1]);
        assertEquals(0.0, w[2]);
        assertEquals(0.5, acc[0] / sum, 1e-15);
        assertEquals(0.5, acc[1] / sum, 1e-15);
    }

    @Test
    void badCutoffsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GaussianWeights.row(
                new float[1], 0, new float[1], 0, new double[1], 1, 1, 1, -800, new double[1], new double[1]));
        assertTrue(e.getMessage().contains("cutoff -800.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GaussianWeights.row(new float[1], 0, new float[1], 0,
                new double[1], 1, 1, 1, Double.NaN, new double[1], new double[1]));
    }

    @Test
    void undersizedArraysAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GaussianWeights.row(
                new float[2], 0, new float[2], 0, new double[5], 3, 2, 1, -50, new double[3], new double[2]));
        assertTrue(e.getMessage().contains("GaussianWeights.row") && e.getMessage().contains("refT of 6"),
                e.getMessage());
    }

    /** The kernel's exponential against Math.exp over its whole range, and at its ends. */
    @Test
    void theExponentialIsWithinTwoUlpsOfMathExp() {
        Rng rng = new Rng(5);
        float[] u = rng.uniform(0f, 1f, 20_000).toArray();
        for (int i = 0; i < u.length; i++) {
            // half of them in [-50, 0], where the stable target's weights live, half over the whole range
            double x = i % 2 == 0 ? -50.0 * u[i] : GaussianWeights.EXP_MIN * u[i];
            double want = Math.exp(x);
            double got = GaussianWeightsVector.exp(x);
            assertEquals(want, got, 2 * Math.ulp(want), "exp(" + x + ")");
        }
        assertEquals(1.0, GaussianWeightsVector.exp(0.0));
        assertEquals(1.0, GaussianWeightsVector.exp(-0.0));
        assertEquals(Math.exp(-708), GaussianWeightsVector.exp(-708), 2 * Math.ulp(Math.exp(-708)));
        assertEquals(GaussianWeightsVector.exp(-708), GaussianWeightsVector.exp(-1e6), "clamped below");
        assertTrue(Double.isNaN(GaussianWeightsVector.exp(Double.NaN)));
    }

    /**
     * The vector row is, bit for bit, the scalar model of its definition: the kernel's exponential, partial sums by
     * reference index modulo 8 added in index order, then the tail in order. The model names no vector width, so the
     * row gives the same bits at 128, 256 and 512 bits, and however the JIT has compiled it.
     */
    @Test
    void theVectorRowIsItsScalarModelBitForBit() {
        Rng rng = new Rng(8);
        for (int per : new int[] {1, 2, 3, 784}) {
            for (int refs : new int[] {1, 5, 8, 13, 16, 64, 203}) {
                for (double t : new double[] {0.01, 0.6, 5, 80}) {
                    float[] points = rng.uniform(-1f, 1f, refs * per).toArray();
                    double[] refT = new double[refs * per];
                    for (int j = 0; j < refs; j++) {
                        for (int e = 0; e < per; e++) {
                            refT[e * refs + j] = points[j * per + e];
                        }
                    }
                    float[] q = rng.uniform(-1f, 1f, per).toArray();
                    float[] x = rng.uniform(-1f, 1f, per).toArray();
                    double inv = 1 / (2 * t * t);
                    double[] w0 = new double[refs], w1 = new double[refs], a0 = new double[per], a1 = new double[per];
                    double s0 = model(q, x, refT, refs, per, inv, -50, w0, a0);
                    // repeated calls: the first runs interpreted, later ones compiled
                    for (int rep = 0; rep < 3; rep++) {
                        double s1 = GaussianWeightsVector.row(q, 0, x, 0, refT, refs, per, inv, -50, w1, a1);
                        String where = "per " + per + ", refs " + refs + ", t " + t + ", call " + rep;
                        assertEquals(Double.doubleToRawLongBits(s0), Double.doubleToRawLongBits(s1), where + ": sum");
                        for (int j = 0; j < refs; j++) {
                            assertEquals(Double.doubleToRawLongBits(w0[j]), Double.doubleToRawLongBits(w1[j]),
                                    where + ": w[" + j + "]");
                        }
                        for (int e = 0; e < per; e++) {
                            assertEquals(a0[e], a1[e], 0.0, where + ": acc[" + e + "]");
                        }
                    }
                }
            }
        }
    }

    /** The vector row's definition, one reference at a time. */
    private static double model(float[] q, float[] x, double[] refT, int refs, int per, double inv, double cutoff,
                                double[] w, double[] acc) {
        int block = GaussianWeightsVector.BLOCK;
        int bound = refs - refs % block;
        double min = Double.POSITIVE_INFINITY;
        for (int j = 0; j < refs; j++) {
            w[j] = GaussianWeightsReference.distance2(q, 0, refT, refs, per, j);
            min = Math.min(min, w[j]);
        }
        double[] partial = new double[block];
        for (int j = 0; j < refs; j++) {
            double logit = (min - w[j]) * inv;
            w[j] = logit < cutoff ? 0 : GaussianWeightsVector.exp(logit);
            if (j < bound) {
                partial[j % block] += w[j];
            }
        }
        double sum = 0;
        for (double p : partial) {
            sum += p;
        }
        for (int j = bound; j < refs; j++) {
            sum += w[j];
        }
        for (int e = 0; e < per; e++) {
            java.util.Arrays.fill(partial, 0);
            for (int j = 0; j < bound; j++) {
                partial[j % block] += w[j] * (refT[e * refs + j] - x[e]);
            }
            double a = 0;
            for (double p : partial) {
                a += p;
            }
            acc[e] = GaussianWeightsReference.weightedDifference(w, bound, refs, refT, e * refs, x[e], a);
        }
        return sum;
    }
}
