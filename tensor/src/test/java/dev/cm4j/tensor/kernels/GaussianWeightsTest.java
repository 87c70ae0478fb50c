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
    void undersizedArraysAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GaussianWeights.row(
                new float[2], 0, new float[2], 0, new double[5], 3, 2, 1, -50, new double[3], new double[2]));
        assertTrue(e.getMessage().contains("GaussianWeights.row") && e.getMessage().contains("refT of 6"),
                e.getMessage());
    }
}
