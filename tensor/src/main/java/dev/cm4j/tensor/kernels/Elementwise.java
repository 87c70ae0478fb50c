package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Simd;

/**
 * Elementwise kernels over contiguous runs of flat arrays, dispatching to the Vector API ({@link ElementwiseVector})
 * or to the plain loops ({@link ElementwiseReference}) by {@link Simd#ENABLED}.
 *
 * <p>Broadcasting is not handled here: callers reduce every broadcast pattern to runs whose operands are either
 * contiguous or a single repeated value (see {@code dev.cm4j.tensor.Broadcast}). Output may alias an input.
 */
public final class Elementwise {
    private Elementwise() {
    }

    /** Binary operations; comparisons produce 1 where true and 0 elsewhere. */
    public enum Binary {
        ADD, SUB, MUL, DIV, MAX, MIN, GREATER, LESS;

        /** The operation on one pair of values: the definition every kernel matches. */
        public float apply(float x, float y) {
            return switch (this) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
                case MAX -> Math.max(x, y);
                case MIN -> Math.min(x, y);
                case GREATER -> x > y ? 1f : 0f;
                case LESS -> x < y ? 1f : 0f;
            };
        }
    }

    /** Unary operations; POW uses parameter p, CLAMP uses [p, q]. */
    public enum Unary {
        NEG, ABS, SIGN, EXP, LOG, SQRT, RSQRT, SQUARE, TANH, SIGMOID, SILU, POW, CLAMP, SIN, COS;

        /** The operation on one value, computed in double where a transcendental is involved. */
        public float apply(float x, float p, float q) {
            return switch (this) {
                case NEG -> -x;
                case ABS -> Math.abs(x);
                case SIGN -> Math.signum(x);
                case EXP -> (float) Math.exp(x);
                case LOG -> (float) Math.log(x);
                case SQRT -> (float) Math.sqrt(x);
                case RSQRT -> (float) (1.0 / Math.sqrt(x));
                case SQUARE -> x * x;
                case TANH -> (float) Math.tanh(x);
                // 1 / (1 + e^-x) in double: e^-x overflows to infinity for x < -745 and the quotient is 0, no NaN
                case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-x)));
                case SILU -> (float) (x / (1.0 + Math.exp(-x)));
                case POW -> (float) Math.pow(x, p);
                case CLAMP -> Math.min(Math.max(x, p), q);
                case SIN -> (float) Math.sin(x);
                case COS -> (float) Math.cos(x);
            };
        }

        /**
         * True for the operations that evaluate exp, log, tanh, pow, sin or cos (an order of magnitude dearer than a
         * load).
         */
        public boolean transcendental() {
            return switch (this) {
                case EXP, LOG, TANH, SIGMOID, SILU, POW, SIN, COS -> true;
                default -> false;
            };
        }
    }

    // ---------------------------------------------------------------- dispatch

    /** out[i] = a[i] op b[i] for i in [0, n). */
    public static void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff, int n) {
        if (Simd.ENABLED) {
            ElementwiseVector.binary(op, a, aOff, b, bOff, out, oOff, n);
        } else {
            ElementwiseReference.binary(op, a, aOff, b, bOff, out, oOff, n);
        }
    }

    /** out[i] = a[i] op s. */
    public static void binaryRight(Binary op, float[] a, int aOff, float s, float[] out, int oOff, int n) {
        if (Simd.ENABLED) {
            ElementwiseVector.binaryRight(op, a, aOff, s, out, oOff, n);
        } else {
            ElementwiseReference.binaryRight(op, a, aOff, s, out, oOff, n);
        }
    }

    /** out[i] = s op b[i]. */
    public static void binaryLeft(Binary op, float s, float[] b, int bOff, float[] out, int oOff, int n) {
        if (Simd.ENABLED) {
            ElementwiseVector.binaryLeft(op, s, b, bOff, out, oOff, n);
        } else {
            ElementwiseReference.binaryLeft(op, s, b, bOff, out, oOff, n);
        }
    }

    /** out[i] = op(x[i]) with parameters p, q (see {@link Unary}). */
    public static void unary(Unary op, float p, float q, float[] x, int xOff, float[] out, int oOff, int n) {
        if (Simd.ENABLED) {
            ElementwiseVector.unary(op, p, q, x, xOff, out, oOff, n);
        } else {
            ElementwiseReference.unary(op, p, q, x, xOff, out, oOff, n);
        }
    }

    /** out[i] = c[i] != 0 ? a[i] : b[i] (a NaN condition counts as true, as in Java). */
    public static void select(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff, int n) {
        if (Simd.ENABLED) {
            ElementwiseVector.select(c, cOff, a, aOff, b, bOff, out, oOff, n);
        } else {
            ElementwiseReference.select(c, cOff, a, aOff, b, bOff, out, oOff, n);
        }
    }

    /** y[i] += alpha * x[i] (multiply, then add: no fused rounding, so both paths agree bit for bit). */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        if (Simd.ENABLED) {
            ElementwiseVector.axpy(alpha, x, xOff, y, yOff, n);
        } else {
            ElementwiseReference.axpy(alpha, x, xOff, y, yOff, n);
        }
    }
}
