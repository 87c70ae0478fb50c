package dev.cm4j.tensor.kernels;

/**
 * Conversions between float32 and the two 16-bit storage formats of released checkpoints, over flat arrays.
 *
 * <p>Widening is exact (every float16 and bfloat16 value is a float32 value): float16 by
 * {@link Float#float16ToFloat} (IEEE 754 binary16: subnormals, infinities and NaN payloads kept; HotSpot compiles it
 * to one F16C instruction where the CPU has it), bfloat16 by the definition of the format, the 16 bits as the high
 * half of a float32. Narrowing rounds to nearest, ties to even: float16 by {@link Float#floatToFloat16}, bfloat16 by
 * adding 0x7FFF plus the lowest kept bit before truncating; a NaN stays a NaN (quiet, sign kept).
 *
 * <p>These are the plain loops; there is no separate fast twin (the JIT unrolls the bfloat16 shift into vector code,
 * and float16 widening is an intrinsic).
 */
public final class HalfConversion {
    private HalfConversion() {
    }

    /** The float32 value of float16 bits {@code h}: {@link Float#float16ToFloat}. */
    public static float fp16ToFloat(short h) {
        return Float.float16ToFloat(h);
    }

    /** The float32 value of bfloat16 bits {@code b}: the 16 bits as the high half of a float32, the low half zero. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat(b << 16);
    }

    /** {@code x} rounded to float16, to nearest with ties to even ({@link Float#floatToFloat16}). */
    public static short floatToFp16(float x) {
        return Float.floatToFloat16(x);
    }

    /** {@code x} rounded to bfloat16, to nearest with ties to even; a NaN gives a quiet NaN of the same sign. */
    public static short floatToBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        // a carry out of the mantissa raises the exponent, and past the largest finite value gives infinity
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    // src (n) float16 bits -> dst (n) float32
    public static void fp16ToFloat(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src[srcOff + i]);
        }
    }

    // src (n) bfloat16 bits -> dst (n) float32
    public static void bf16ToFloat(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.intBitsToFloat(src[srcOff + i] << 16);
        }
    }

    // src (n) float32 -> dst (n) float16 bits, rounded to nearest even
    public static void floatToFp16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.floatToFloat16(src[srcOff + i]);
        }
    }

    // src (n) float32 -> dst (n) bfloat16 bits, rounded to nearest even
    public static void floatToBf16(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = floatToBf16(src[srcOff + i]);
        }
    }
}
