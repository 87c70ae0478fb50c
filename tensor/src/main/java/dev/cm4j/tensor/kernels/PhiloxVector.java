package dev.cm4j.tensor.kernels;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Philox-4x32-10 for {@link #LANES} consecutive blocks at once, one block per 64-bit lane: each 32-bit word sits
 * zero-extended in a long, so the 32 x 32 -> 64-bit products of a round are exact long multiplications. The words are
 * bit-identical to {@link dev.cm4j.tensor.Philox#block}, its scalar reference (integer arithmetic only).
 *
 * <p>Only referenced when {@link dev.cm4j.tensor.Simd#ENABLED} is true.
 */
public final class PhiloxVector {
    private static final VectorSpecies<Long> S = LongVector.SPECIES_PREFERRED;
    /** Blocks per call of {@link #blocks}. */
    public static final int LANES = S.length();

    private static final long MASK = 0xFFFFFFFFL;
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private PhiloxVector() {
    }

    /**
     * The words of blocks {@code first, first + 1, ..., first + LANES - 1}, where block {@code b} has the counter
     * ({@code (int) b}, {@code (int) (b >>> 32)}, c2, c3) and the key (k0, k1): word j of block first + i goes to
     * {@code out[4 i + j]} ({@code out} holds at least {@code 4 LANES} words; {@code scratch} at least
     * {@code 4 LANES} longs).
     */
    public static void blocks(long first, int c2, int c3, int k0, int k1, int[] out, long[] scratch) {
        LongVector index = LongVector.broadcast(S, first).add(LongVector.zero(S).addIndex(1));
        LongVector x0 = index.and(MASK);
        LongVector x1 = index.lanewise(VectorOperators.LSHR, 32);
        LongVector x2 = LongVector.broadcast(S, c2 & MASK);
        LongVector x3 = LongVector.broadcast(S, c3 & MASK);
        int key0 = k0;
        int key1 = k1;
        for (int round = 0; round < 10; round++) {
            LongVector p0 = x0.mul(M0);
            LongVector p1 = x2.mul(M1);
            LongVector hi0 = p0.lanewise(VectorOperators.LSHR, 32);
            LongVector hi1 = p1.lanewise(VectorOperators.LSHR, 32);
            x0 = hi1.lanewise(VectorOperators.XOR, x1).lanewise(VectorOperators.XOR, key0 & MASK);
            x1 = p1.and(MASK);
            x2 = hi0.lanewise(VectorOperators.XOR, x3).lanewise(VectorOperators.XOR, key1 & MASK);
            x3 = p0.and(MASK);
            key0 += W0;
            key1 += W1;
        }
        x0.intoArray(scratch, 0);
        x1.intoArray(scratch, LANES);
        x2.intoArray(scratch, 2 * LANES);
        x3.intoArray(scratch, 3 * LANES);
        for (int i = 0; i < LANES; i++) {
            out[4 * i] = (int) scratch[i];
            out[4 * i + 1] = (int) scratch[LANES + i];
            out[4 * i + 2] = (int) scratch[2 * LANES + i];
            out[4 * i + 3] = (int) scratch[3 * LANES + i];
        }
    }
}
