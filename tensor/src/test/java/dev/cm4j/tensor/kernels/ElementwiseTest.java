package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.kernels.Elementwise.Binary;
import dev.cm4j.tensor.kernels.Elementwise.Unary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Both elementwise implementations against a double reference, over sizes that hit every SIMD remainder. */
class ElementwiseTest {
    static final int[] SIZES = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 64, 257, 1031};

    /** Reference in double; exact ops then round once to float, which matches float arithmetic bit for bit. */
    static double ref(Binary op, double x, double y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case MAX -> Math.max(x, y);
            case MIN -> Math.min(x, y);
            case GREATER -> x > y ? 1 : 0;
            case LESS -> x < y ? 1 : 0;
        };
    }

    static double ref(Unary op, double x, double p, double q) {
        return switch (op) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case SQUARE -> x * x;
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case SILU -> x / (1 + Math.exp(-x));
            case POW -> Math.pow(x, p);
            case CLAMP -> Math.min(Math.max(x, p), q);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
        };
    }

    /** Inputs with ties (for comparisons and max/min), signed zeros and values near 0 and 1. */
    static float[] data(Rng rng, int n) {
        float[] x = new float[n];
        rng.fillUniform(x, 0, n, -3f, 3f);
        for (int i = 0; i < n; i += 5) {
            x[i] = Math.round(x[i]); // integers collide between operands and include +-0
        }
        return x;
    }

    interface BinaryKernel {
        void run(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff, int n);
    }

    @ParameterizedTest
    @EnumSource(Binary.class)
    void binaryKernelsMatchReference(Binary op) {
        check(op, "scalar", ElementwiseReference::binary);
        check(op, "vector", ElementwiseVector::binary);
        // the scalar-operand forms: one operand repeated
        check(op, "scalar right",
                (o, a, ao, b, bo, out, oo, n) -> ElementwiseReference.binaryRight(o, a, ao, b[bo], out, oo, n));
        check(op, "vector right", (o, a, ao, b, bo, out, oo, n) -> ElementwiseVector.binaryRight(o, a, ao, b[bo], out, oo, n));
        check(op, "scalar left",
                (o, a, ao, b, bo, out, oo, n) -> ElementwiseReference.binaryLeft(o, b[bo], a, ao, out, oo, n));
        check(op, "vector left", (o, a, ao, b, bo, out, oo, n) -> ElementwiseVector.binaryLeft(o, b[bo], a, ao, out, oo, n));
    }

    private static void check(Binary op, String impl, BinaryKernel k) {
        Rng rng = new Rng(11, op.ordinal());
        boolean left = impl.endsWith("left"), repeated = impl.endsWith("right") || left;
        for (int n : SIZES) {
            // offsets 3 and 5 keep vectors unaligned with the array start
            float[] a = data(rng, n + 3), b = data(rng, n + 6);
            float[] out = new float[n + 2];
            k.run(op, a, 3, b, 5, out, 2, n);
            for (int i = 0; i < n; i++) {
                float x = a[3 + i], y = repeated ? b[5] : b[5 + i];
                float want = (float) (left ? ref(op, y, x) : ref(op, x, y));
                if (Float.floatToIntBits(want) != Float.floatToIntBits(out[2 + i])
                        && !(want == 0 && out[2 + i] == 0 && (op == Binary.MAX || op == Binary.MIN))) {
                    throw new AssertionError(op + " " + impl + " n=" + n + " i=" + i + ": " + out[2 + i] + " vs " + want);
                }
            }
            assertEquals(0f, out[0]);
            assertEquals(0f, out[1]);
        }
    }

    /** ulp-scale tolerance per operation: exact ops must match exactly, transcendentals within a few ulp. */
    static double rtol(Unary op) {
        return switch (op) {
            case NEG, ABS, SIGN, SQUARE, SQRT, CLAMP -> 0;
            case RSQRT -> 2e-7;
            default -> 1e-6;
        };
    }

    @ParameterizedTest
    @EnumSource(Unary.class)
    void unaryKernelsMatchReference(Unary op) {
        Rng rng = new Rng(12, op.ordinal());
        float p = op == Unary.POW ? 1.7f : -0.5f, q = 0.75f;
        for (int n : SIZES) {
            float[] x = data(rng, n + 1);
            if (op == Unary.LOG || op == Unary.SQRT || op == Unary.RSQRT || op == Unary.POW) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.abs(x[i]) + 1e-3f; // the reference's domain
                }
            }
            float[] s = new float[n], v = new float[n];
            ElementwiseReference.unary(op, p, q, x, 1, s, 0, n);
            ElementwiseVector.unary(op, p, q, x, 1, v, 0, n);
            for (int i = 0; i < n; i++) {
                double want = ref(op, x[1 + i], p, q);
                double tol = rtol(op) * Math.abs(want) + (rtol(op) == 0 ? 0 : 1e-30);
                assertTrue(Math.abs(s[i] - (float) want) <= tol, op + " scalar n=" + n + " x=" + x[1 + i] + ": "
                        + s[i] + " vs " + want + ", diff " + Math.abs(s[i] - want));
                assertTrue(Math.abs(v[i] - (float) want) <= tol, op + " vector n=" + n + " x=" + x[1 + i] + ": "
                        + v[i] + " vs " + want + ", diff " + Math.abs(v[i] - want));
            }
        }
    }

    /**
     * The vector kernels give every element the same bits whether it falls in a vector body or in a tail: a run
     * computed whole equals the same run computed as two pieces split anywhere (as threads split it).
     */
    @ParameterizedTest
    @EnumSource(Unary.class)
    void vectorBitsDoNotDependOnWhereARunIsSplit(Unary op) {
        Rng rng = new Rng(15, op.ordinal());
        float p = op == Unary.POW ? 1.7f : -0.5f, q = 0.75f;
        int n = 1031;
        float[] x = data(rng, n + 3);
        if (op == Unary.LOG || op == Unary.SQRT || op == Unary.RSQRT || op == Unary.POW) {
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.abs(x[i]) + 1e-3f;
            }
        }
        float[] whole = new float[n];
        ElementwiseVector.unary(op, p, q, x, 3, whole, 0, n);
        for (int k : new int[] {1, 3, 7, 9, 17, 31, 33, 100, 1021}) {
            float[] split = new float[n];
            ElementwiseVector.unary(op, p, q, x, 3, split, 0, k);
            ElementwiseVector.unary(op, p, q, x, 3 + k, split, k, n - k);
            for (int i = 0; i < n; i++) {
                if (Float.floatToRawIntBits(whole[i]) != Float.floatToRawIntBits(split[i])) {
                    throw new AssertionError(op + " split at " + k + ", element " + i + " (x = " + x[3 + i] + "): "
                            + split[i] + " vs " + whole[i] + " unsplit");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Unary.class, names = {"EXP", "TANH", "SIGMOID", "SILU", "SIGN", "ABS", "NEG", "SIN", "COS"})
    void extremesGiveNoSpuriousNaN(Unary op) {
        float[] x = {-1e30f, -200f, -90f, -0f, 0f, 90f, 200f, 1e30f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY,
            -1e-30f, 1e-30f, 3f, -3f, 40f, -40f, 0.5f};
        float[] s = new float[x.length], v = new float[x.length];
        ElementwiseReference.unary(op, 0, 0, x, 0, s, 0, x.length);
        ElementwiseVector.unary(op, 0, 0, x, 0, v, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            float want = (float) ref(op, x[i], 0, 0);
            if (Float.isNaN(want)) {
                continue; // silu(-inf) = -inf * 0
            }
            // float exp overflows below x = -88.7: sigmoid and SiLU then give 0 where the truth is below 1e-37
            double tol = 1e-6 * Math.abs(want) + 1e-30;
            assertTrue(Math.abs(s[i] - want) <= tol || s[i] == want, op + " scalar " + x[i] + ": " + s[i]);
            assertTrue(Math.abs(v[i] - want) <= tol || v[i] == want, op + " vector " + x[i] + ": " + v[i]);
        }
    }

    @Test
    void selectPicksByNonZeroCondition() {
        Rng rng = new Rng(14);
        for (int n : SIZES) {
            float[] c = data(rng, n + 1), a = data(rng, n + 2), b = data(rng, n + 3);
            for (int i = 0; i < c.length; i += 3) {
                c[i] = i % 2 == 0 ? 0f : i % 7 == 0 ? -0f : Float.NaN; // zeros of both signs pick b, NaN picks a
            }
            float[] s = new float[n], v = new float[n];
            ElementwiseReference.select(c, 1, a, 2, b, 3, s, 0, n);
            ElementwiseVector.select(c, 1, a, 2, b, 3, v, 0, n);
            for (int i = 0; i < n; i++) {
                float want = c[1 + i] != 0 ? a[2 + i] : b[3 + i];
                assertEquals(want, s[i], "scalar n=" + n + " i=" + i);
                assertEquals(want, v[i], "vector n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void axpyMatchesAndBothPathsAgreeBitForBit() {
        Rng rng = new Rng(13);
        for (int n : SIZES) {
            float[] x = data(rng, n + 2), y0 = data(rng, n);
            float[] ys = y0.clone(), yv = y0.clone();
            ElementwiseReference.axpy(0.37f, x, 2, ys, 0, n);
            ElementwiseVector.axpy(0.37f, x, 2, yv, 0, n);
            for (int i = 0; i < n; i++) {
                float want = y0[i] + 0.37f * x[2 + i];
                assertEquals(want, ys[i], "scalar n=" + n);
                assertEquals(want, yv[i], "vector n=" + n);
            }
        }
    }
}
