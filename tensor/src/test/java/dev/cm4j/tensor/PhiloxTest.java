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
