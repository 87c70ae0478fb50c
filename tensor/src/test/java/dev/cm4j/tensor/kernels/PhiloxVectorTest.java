package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cm4j.tensor.Philox;
import dev.cm4j.tensor.Simd;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The vector Philox against its scalar reference, bit for bit. */
class PhiloxVectorTest {
    @Test
    void everyLaneEqualsTheScalarBlock() {
        Assumptions.assumeTrue(Simd.ENABLED, "Vector API disabled");
        SplittableRandom r = new SplittableRandom(5);
        int lanes = PhiloxVector.LANES;
        int[] out = new int[4 * lanes];
        long[] scratch = new long[4 * lanes];
        int[] ref = new int[4];
        // random positions, positions whose lanes carry into the high counter word, and the ends of the range
        long[] firsts = new long[40];
        for (int i = 0; i < 30; i++) {
            firsts[i] = r.nextLong() >>> 1;
        }
        for (int i = 30; i < 38; i++) {
            firsts[i] = (((long) i) << 32) - 1 - i % lanes;
        }
        firsts[38] = 0;
        firsts[39] = Long.MAX_VALUE - lanes;
        for (long first : firsts) {
            int c2 = r.nextInt();
            int c3 = r.nextInt();
            int k0 = r.nextInt();
            int k1 = r.nextInt();
            PhiloxVector.blocks(first, c2, c3, k0, k1, out, scratch);
            for (int i = 0; i < lanes; i++) {
                long b = first + i;
                Philox.block((int) b, (int) (b >>> 32), c2, c3, k0, k1, ref);
                for (int j = 0; j < 4; j++) {
                    assertEquals(ref[j], out[4 * i + j], "block " + b + " word " + j + " key " + k0 + "," + k1);
                }
            }
        }
    }
}
