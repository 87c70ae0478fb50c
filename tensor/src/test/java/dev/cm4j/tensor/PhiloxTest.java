package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PhiloxTest {
    /** Known-answer vectors of Random123's kat_vectors for philox4x32_10. */
    @Test
    void matchesRandom123KnownAnswers() {
        int[] out = new int[4];
        Philox.block(0, 0, 0, 0, 0, 0, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Philox.block(-1, -1, -1, -1, -1, -1, out);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @Test
    void bulkDrawsEqualElementwiseDrawsAcrossSplits() {
        Rng a = new Rng(42);
        float[] whole = new float[10_003];
        a.fillNormal(whole, 0, whole.length);
        // the same stream drawn in two pieces that start on block boundaries gives the same numbers
        Rng b = new Rng(42);
        float[] parts = new float[10_003];
        b.fillNormal(parts, 0, 4000);
        b.fillNormal(parts, 4000, 6003);
        assertArrayEquals(whole, parts);
        assertEquals(a.position(), b.position());
    }

    /**
     * Bulk fills (vector Philox when the Vector API runs, scalar otherwise) against numbers recomputed one block at a
     * time from the scalar reference, for odd sizes, odd start positions and sizes that leave a partial block and a
     * partial vector group.
     */
    @Test
    void bulkFillsEqualPerBlockReference() {
        int[] sizes = {1, 3, 4, 5, 31, 33, 63, 64, 65, 127, 4 * 4096 + 7, 3 * 4 * 4096 + 29};
        long[] starts = {0, 1, 7, 4093, (1L << 32) - 3};
        int[] w = new int[4];
        for (int n : sizes) {
            for (long start : starts) {
                Rng rng = new Rng(0x1234_5678_9ABCL * n + start, -17);
                rng.setPosition(start);
                float[] u = new float[n + 2];
                rng.fillUniform(u, 1, n, -2f, 3f);
                float[] z = new float[n];
                rng.fillNormal(z, 0, n, 0.5f, 2f);
                for (int i = 0; i < n; i++) {
                    long blockU = start + i / 4;
                    long blockZ = start + (n + 3) / 4 + i / 4;
                    Philox.block((int) blockU, (int) (blockU >>> 32), (int) rng.stream(), (int) (rng.stream() >>> 32),
                            (int) rng.seed(), (int) (rng.seed() >>> 32), w);
                    float ref = (float) (-2f + 5f * ((w[i % 4] & 0xFFFFFFFFL) / 4294967296.0));
                    ref = ref < 3f ? ref : Math.nextDown(3f);
                    assertEquals(ref, u[i + 1], 0f, "uniform n " + n + " start " + start + " i " + i);
                    Philox.block((int) blockZ, (int) (blockZ >>> 32), (int) rng.stream(), (int) (rng.stream() >>> 32),
                            (int) rng.seed(), (int) (rng.seed() >>> 32), w);
                    int pair = (i % 4) / 2 * 2;
                    double radius = Math.sqrt(-2 * Math.log(((w[pair] & 0xFFFFFFFFL) + 1) / 4294967296.0));
                    double angle = 2 * Math.PI * ((w[pair + 1] & 0xFFFFFFFFL) / 4294967296.0);
                    double v = i % 2 == 0 ? radius * Math.cos(angle) : radius * Math.sin(angle);
                    assertEquals((float) (0.5f + 2f * v), z[i], 0f, "normal n " + n + " start " + start + " i " + i);
                }
                assertEquals(0f, u[0]);
                assertEquals(0f, u[n + 1]);
                assertEquals(start + 2L * ((n + 3) / 4), rng.position());
            }
        }
    }

    @Test
    void normalMomentsAreStandard() {
        float[] x = new float[200_000];
        new Rng(7).fillNormal(x, 0, x.length);
        double s = 0, s2 = 0;
        for (float v : x) {
            s += v;
            s2 += v * (double) v;
        }
        double mean = s / x.length;
        double var = s2 / x.length - mean * mean;
        assertTrue(Math.abs(mean) < 0.01, "mean " + mean);
        assertTrue(Math.abs(var - 1) < 0.01, "variance " + var);
    }

    @Test
    void uniformStaysInHalfOpenInterval() {
        float[] x = new float[100_000];
        new Rng(3).fillUniform(x, 0, x.length, -1f, 1f);
        for (float v : x) {
            assertTrue(v >= -1f && v < 1f, "value " + v);
        }
    }

    @Test
    void forksNeverCollideWithPlainStreamsOrEachOther() {
        // the old derivation made new Rng(s).fork(k) the plain stream k + 1
        java.util.Set<Long> ids = new java.util.HashSet<>();
        for (long k = 0; k < 1000; k++) {
            Rng child = new Rng(7).fork(k);
            assertTrue(child.stream() < 0, "fork ids are negative, plain ones >= 0: " + child.stream());
            assertTrue(ids.add(child.stream()), "fork " + k + " repeats an id");
            assertTrue(ids.add(new Rng(7, k + 1).fork(0).stream()), "fork 0 of stream " + (k + 1) + " repeats an id");
        }
        // same (seed, parent, id) -> same child; its numbers differ from the plain stream with the old id
        assertEquals(new Rng(7).fork(3).stream(), new Rng(7).fork(3).stream());
        float a = new Rng(7).fork(3).normal(4).get(0), b = new Rng(7, 4).normal(4).get(0);
        assertTrue(a != b, "fork 3 of stream 0 draws what stream 4 draws");
        // forks of forks stay distinct from their parents' siblings
        Rng f = new Rng(7).fork(1);
        assertTrue(f.fork(1).stream() != f.stream() && f.fork(1).stream() != new Rng(7).fork(2).stream());
    }
}
