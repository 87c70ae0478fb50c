package dev.cm4j.tensor;

import dev.cm4j.tensor.kernels.HalfConversion;

/**
 * The 16-bit formats a {@link HalfTensor} stores: IEEE 754 binary16 ({@code torch.float16}: 5 exponent bits, 10
 * mantissa bits, largest finite value 65504) and bfloat16 ({@code torch.bfloat16}: the top half of a float32, 8
 * exponent bits and 7 mantissa bits). Both widen to float32 exactly ({@link HalfConversion}).
 */
public enum HalfFormat {
    FP16("fp16"),
    BF16("bf16");

    private final String label;

    HalfFormat(String label) {
        this.label = label;
    }

    /** "fp16" or "bf16", as the command line writes it. */
    public String label() {
        return label;
    }

    /** The format named "fp16" or "bf16" (case-insensitive). */
    public static HalfFormat of(String label) {
        for (HalfFormat f : values()) {
            if (f.label.equalsIgnoreCase(label)) {
                return f;
            }
        }
        throw new IllegalArgumentException("HalfFormat: '" + label + "' is neither fp16 nor bf16");
    }

    /** The exact float32 value of {@code bits}. */
    public float toFloat(short bits) {
        return this == FP16 ? HalfConversion.fp16ToFloat(bits) : HalfConversion.bf16ToFloat(bits);
    }

    /** {@code x} rounded to this format, to nearest with ties to even. */
    public short fromFloat(float x) {
        return this == FP16 ? HalfConversion.floatToFp16(x) : HalfConversion.floatToBf16(x);
    }

    // src (n) bits -> dst (n) float32, exact
    public void widen(short[] src, int srcOff, float[] dst, int dstOff, int n) {
        if (this == FP16) {
            HalfConversion.fp16ToFloat(src, srcOff, dst, dstOff, n);
        } else {
            HalfConversion.bf16ToFloat(src, srcOff, dst, dstOff, n);
        }
    }

    // src (n) float32 -> dst (n) bits, rounded to nearest even
    public void narrow(float[] src, int srcOff, short[] dst, int dstOff, int n) {
        if (this == FP16) {
            HalfConversion.floatToFp16(src, srcOff, dst, dstOff, n);
        } else {
            HalfConversion.floatToBf16(src, srcOff, dst, dstOff, n);
        }
    }

    @Override
    public String toString() {
        return label;
    }
}
