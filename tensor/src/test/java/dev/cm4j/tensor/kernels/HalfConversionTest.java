package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cm4j.tensor.HalfFormat;
import dev.cm4j.tensor.HalfTensor;
import dev.cm4j.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link HalfConversion} over every one of the 65,536 bit patterns of each format: widening against
 * {@link Float#float16ToFloat} and an independent reading of the binary16 fields (a NaN keeps sign and payload and
 * comes out quiet), bfloat16 against the shift
 * definition; narrowing as the exact inverse on every non-NaN pattern, and bfloat16 rounding against a double
 * reference (nearest, ties to even, overflow to infinity).
 */
class HalfConversionTest {
    private static final int PATTERNS = 1 << 16;

    /** binary16 read field by field: sign, 5-bit exponent (bias 15), 10-bit mantissa; NaN keeps its payload. */
    private static int fp16Definition(int h) {
        int sign = (h >>> 15) & 1;
        int exp = (h >>> 10) & 0x1f;
        int man = h & 0x3ff;
        if (exp == 0x1f) {
            // infinity (man 0), or a NaN: payload shifted up and made quiet, as IEEE 754 conversions do (F16C too)
            return sign << 31 | 0x7f800000 | (man == 0 ? 0 : 0x400000 | man << 13);
        }
        double magnitude = exp == 0 ? man * 0x1p-24 : (1024 + man) * Math.scalb(1.0, exp - 25);
        return Float.floatToRawIntBits((float) (sign == 1 ? -magnitude : magnitude));
    }

    private static short[] allPatterns() {
        short[] all = new short[PATTERNS];
        for (int i = 0; i < PATTERNS; i++) {
            all[i] = (short) i;
        }
        return all;
    }

    @Test
    void fp16WideningIsExactForEveryPattern() {
        // offsets on both sides, so the array loop's indexing is checked too
        float[] out = new float[PATTERNS + 7];
        HalfConversion.fp16ToFloat(allPatterns(), 0, out, 5, PATTERNS);
        int subnormals = 0;
        int nans = 0;
        for (int h = 0; h < PATTERNS; h++) {
            int got = Float.floatToRawIntBits(out[5 + h]);
            int jdk = Float.floatToRawIntBits(Float.float16ToFloat((short) h));
            int def = fp16Definition(h);
            if (got != jdk || got != def) {
                fail(String.format("fp16 0x%04x: widened 0x%08x, Float.float16ToFloat 0x%08x, definition 0x%08x",
                        h, got, jdk, def));
            }
            subnormals += ((h >>> 10) & 0x1f) == 0 && (h & 0x3ff) != 0 ? 1 : 0;
            nans += Float.isNaN(out[5 + h]) ? 1 : 0;
            assertEquals(got, Float.floatToRawIntBits(HalfFormat.FP16.toFloat((short) h)));
        }
        assertEquals(2 * 1023, subnormals);
        assertEquals(2 * 1023, nans);
        assertEquals(Float.POSITIVE_INFINITY, out[5 + 0x7c00]);
        assertEquals(Float.NEGATIVE_INFINITY, out[5 + 0xfc00]);
        assertEquals(0x1p-24f, out[5 + 1]);
        assertEquals(65504f, out[5 + 0x7bff]);
    }

    @Test
    void bf16WideningIsTheShiftForEveryPattern() {
        float[] out = new float[PATTERNS + 3];
        HalfConversion.bf16ToFloat(allPatterns(), 0, out, 3, PATTERNS);
        for (int b = 0; b < PATTERNS; b++) {
            int got = Float.floatToRawIntBits(out[3 + b]);
            if (got != b << 16) {
                fail(String.format("bf16 0x%04x: widened 0x%08x, expected 0x%08x", b, got, b << 16));
            }
            assertEquals(got, Float.floatToRawIntBits(HalfFormat.BF16.toFloat((short) b)));
        }
    }

    @Test
    void narrowingInvertsWideningOnEveryNonNaNPattern() {
        for (HalfFormat f : HalfFormat.values()) {
            float[] wide = new float[PATTERNS];
            f.widen(allPatterns(), 0, wide, 0, PATTERNS);
            short[] back = new short[PATTERNS + 2];
            f.narrow(wide, 0, back, 2, PATTERNS);
            for (int h = 0; h < PATTERNS; h++) {
                if (Float.isNaN(wide[h])) {
                    assertTrue(Float.isNaN(f.toFloat(back[2 + h])), f + " NaN 0x" + Integer.toHexString(h));
                } else if ((back[2 + h] & 0xffff) != h) {
                    fail(String.format("%s 0x%04x -> %s -> 0x%04x", f, h, wide[h], back[2 + h] & 0xffff));
                }
            }
        }
    }

    /** bfloat16 rounding of x by doubles: the nearer of the two neighbours, ties to the even one. */
    private static int bf16Reference(float x) {
        int bits = Float.floatToRawIntBits(x);
        int sign = bits & 0x80000000;
        int mag = bits & 0x7fffffff;
        int lo = mag >>> 16;
        double v = Math.abs((double) x);
        double vLo = Float.intBitsToFloat(lo << 16);
        // past the largest finite bfloat16 the next neighbour is 2^128 (infinity once rounded to)
        double vHi = lo + 1 == 0x7f80 ? 0x1p128 : Float.intBitsToFloat((lo + 1) << 16);
        double dLo = v - vLo;
        double dHi = vHi - v;
        int pick = dLo < dHi ? lo : dHi < dLo ? lo + 1 : (lo & 1) == 0 ? lo : lo + 1;
        return (sign >>> 16) | pick;
    }

    @Test
    void bf16NarrowingRoundsToNearestEven() {
        SplittableRandom rng = new SplittableRandom(12);
        int ties = 0;
        for (int i = 0; i < 2_000_000; i++) {
            int bits = rng.nextInt();
            if (i % 4 == 0) {
                bits = (bits & 0xffff0000) | 0x8000; // an exact tie
            }
            float x = Float.intBitsToFloat(bits);
            if (Float.isNaN(x) || Float.isInfinite(x)) {
                continue;
            }
            ties += (bits & 0xffff) == 0x8000 ? 1 : 0;
            int got = HalfConversion.floatToBf16(x) & 0xffff;
            int want = bf16Reference(x) & 0xffff;
            if (got != want) {
                fail(String.format("bf16 of %s (0x%08x): 0x%04x, reference 0x%04x", x, bits, got, want));
            }
        }
        assertTrue(ties > 400_000);
        assertEquals(0x7f80, HalfConversion.floatToBf16(Float.MAX_VALUE) & 0xffff);
        assertTrue(Float.isNaN(HalfFormat.BF16.toFloat(HalfConversion.floatToBf16(Float.intBitsToFloat(0x7f800001)))));
        assertTrue(Float.isNaN(HalfFormat.BF16.toFloat(HalfConversion.floatToBf16(Float.NaN))));
    }

    @Test
    void arrayLoopsEqualTheScalarConversionsOnOddLengthsAndOffsets() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int n : new int[] {0, 1, 7, 15, 17, 63, 1001}) {
            int off = rng.nextInt(5);
            short[] bits = new short[off + n];
            float[] x = new float[off + n];
            for (int i = 0; i < bits.length; i++) {
                bits[i] = (short) rng.nextInt();
                x[i] = (float) (rng.nextGaussian() * Math.scalb(1.0, rng.nextInt(-30, 30)));
            }
            for (HalfFormat f : HalfFormat.values()) {
                float[] wide = new float[n + 3];
                f.widen(bits, off, wide, 3, n);
                short[] narrow = new short[n + 1];
                f.narrow(x, off, narrow, 1, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(f.toFloat(bits[off + i])),
                            Float.floatToRawIntBits(wide[3 + i]), f + " widen n=" + n + " i=" + i);
                    assertEquals(f.fromFloat(x[off + i]), narrow[1 + i], f + " narrow n=" + n + " i=" + i);
                }
            }
        }
    }

    @Test
    void halfTensorRoundTripAndBytes() {
        Tensor t = Tensor.of(new float[] {0.1f, -2.5f, 65504f, 1e-8f, 70000f, 3f}, 2, 3);
        HalfTensor h = HalfTensor.narrow(t, HalfFormat.FP16);
        assertEquals(12, h.bytes());
        float[] w = h.toFloat32().data();
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), w[0]);
        assertEquals(-2.5f, w[1]);
        assertEquals(65504f, w[2]);
        assertEquals(Float.POSITIVE_INFINITY, w[4]);
        float[] dst = new float[8];
        h.widenInto(dst, 2);
        assertEquals(3f, dst[7]);
        try {
            h.widenInto(dst, 3);
            fail("widenInto past the end must be refused");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("offset 3"), e.getMessage());
        }
    }
}
