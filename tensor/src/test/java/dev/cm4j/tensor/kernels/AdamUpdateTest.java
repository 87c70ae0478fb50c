package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cm4j.tensor.Rng;
import org.junit.jupiter.api.Test;

/** The Vector API Adam loop against the plain one: the same bits on odd lengths, offsets and every rule's scalars. */
class AdamUpdateTest {
    /** b1, b2, decay, l2, scale, vScale, eps, adaptive (1) or not (0): Adam, AdamW, L2 decay, RAdam's plain step. */
    private static final float[][] RULES = {
        {0.9f, 0.999f, 1f, 0f, 1e-3f, 1.3f, 1e-8f, 1},
        {0.9f, 0.995f, 0.9999f, 0f, 2e-4f, 1.01f, 1e-8f, 1},
        {0.8f, 0.99f, 1f, 1e-2f, 5e-4f, 3.7f, 1e-6f, 1},
        {0.9f, 0.999f, 1f, 0f, 7e-4f, 1f, 1e-8f, 0},
    };

    @Test
    void vectorGivesTheBitsOfTheReference() {
        Rng rng = new Rng(11);
        for (float[] r : RULES) {
            for (int n : new int[] {1, 5, 15, 16, 17, 31, 33, 100, 1023, 40_001}) {
                int off = n % 5;
                float[] p = rng.normal(n + off).toArray();
                float[] g = rng.normal(n + 3).toArray();
                float[] m = rng.normal(n + 1).toArray();
                float[] v = rng.uniform(0f, 2f, n + 2).toArray();
                float[][] ref = {p.clone(), m.clone(), v.clone()};
                float[][] vec = {p.clone(), m.clone(), v.clone()};
                float[][] dispatched = {p.clone(), m.clone(), v.clone()};
                boolean adaptive = r[7] != 0;
                AdamUpdateReference.apply(r[0], r[1], r[2], r[3], r[4], r[5], r[6], adaptive, ref[0], off, g, 3,
                        ref[1], 1, ref[2], 2, n);
                AdamUpdateVector.apply(r[0], r[1], r[2], r[3], r[4], r[5], r[6], adaptive, vec[0], off, g, 3,
                        vec[1], 1, vec[2], 2, n);
                AdamUpdate.apply(r[0], r[1], r[2], r[3], r[4], r[5], r[6], adaptive, dispatched[0], off, g, 3,
                        dispatched[1], 1, dispatched[2], 2, n);
                String[] names = {"p", "m", "v"};
                for (int a = 0; a < 3; a++) {
                    for (int i = 0; i < ref[a].length; i++) {
                        String where = names[a] + "[" + i + "], n " + n + ", adaptive " + adaptive;
                        assertEquals(Float.floatToRawIntBits(ref[a][i]), Float.floatToRawIntBits(vec[a][i]),
                                "vector " + where + ": " + vec[a][i] + " vs " + ref[a][i]);
                        assertEquals(Float.floatToRawIntBits(ref[a][i]), Float.floatToRawIntBits(dispatched[a][i]),
                                "dispatched " + where);
                    }
                }
                // elements outside the run are untouched
                if (off > 0) {
                    assertEquals(p[0], vec[0][0]);
                }
                assertEquals(m[0], vec[1][0]);
            }
        }
    }

    /** One element worked by hand in double: the reference computes the rule it documents. */
    @Test
    void referenceFollowsTheRule() {
        float[] p = {0.5f}, g = {0.2f}, m = {0.1f}, v = {0.04f};
        AdamUpdateReference.apply(0.9f, 0.999f, 0.99f, 0.01f, 1e-3f, 2f, 1e-8f, true, p, 0, g, 0, m, 0, v, 0, 1);
        double pd = 0.5 * 0.99;
        double gd = 0.2 + 0.01 * pd;
        double md = 0.9 * 0.1 + 0.1 * gd;
        double vd = 0.999 * 0.04 + 0.001 * gd * gd;
        assertEquals(md, m[0], 1e-7);
        assertEquals(vd, v[0], 1e-7);
        assertEquals(pd - 1e-3 * md / (Math.sqrt(vd) * 2 + 1e-8), p[0], 1e-6);
    }
}
