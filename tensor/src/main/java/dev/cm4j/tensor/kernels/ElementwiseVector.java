package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.kernels.Elementwise.Binary;
import dev.cm4j.tensor.kernels.Elementwise.Unary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API elementwise loops, the fast twins of {@link ElementwiseScalar}. Only referenced behind
 * {@code Simd.ENABLED}.
 *
 * <p>Each operation has its own loop with a constant operator: the Vector API compiles {@code lanewise(op, ...)} to
 * machine instructions only when {@code op} is a constant at JIT time, so a loop that takes the operator as a
 * parameter would fall back to boxed, per-lane code. Tails (fewer than one vector) run the scalar definition.
 *
 * <p>Add, sub, mul, div, max, min, comparisons, neg, abs, sign, square, sqrt and clamp give the same bits as the
 * scalar twins. Exp, log, tanh, pow (and sigmoid, SiLU through exp) use the Vector API's math intrinsics, which are
 * within a few ulp of {@code Math}; rsqrt rounds the square root to float before dividing.
 */
public final class ElementwiseVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private ElementwiseVector() {
    }

    // a (n), b (n) -> out (n)
    public static void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff, int n) {
        int end = S.loopBound(n);
        int i = 0;
        switch (op) {
            case ADD -> { for (; i < end; i += L) load(a, aOff + i).add(load(b, bOff + i)).intoArray(out, oOff + i); }
            case SUB -> { for (; i < end; i += L) load(a, aOff + i).sub(load(b, bOff + i)).intoArray(out, oOff + i); }
            case MUL -> { for (; i < end; i += L) load(a, aOff + i).mul(load(b, bOff + i)).intoArray(out, oOff + i); }
            case DIV -> { for (; i < end; i += L) load(a, aOff + i).div(load(b, bOff + i)).intoArray(out, oOff + i); }
            case MAX -> { for (; i < end; i += L) load(a, aOff + i).max(load(b, bOff + i)).intoArray(out, oOff + i); }
            case MIN -> { for (; i < end; i += L) load(a, aOff + i).min(load(b, bOff + i)).intoArray(out, oOff + i); }
            case GREATER -> {
                for (; i < end; i += L) {
                    mask(load(a, aOff + i).compare(VectorOperators.GT, load(b, bOff + i))).intoArray(out, oOff + i);
                }
            }
            case LESS -> {
                for (; i < end; i += L) {
                    mask(load(a, aOff + i).compare(VectorOperators.LT, load(b, bOff + i))).intoArray(out, oOff + i);
                }
            }
        }
        for (; i < n; i++) {
            out[oOff + i] = op.apply(a[aOff + i], b[bOff + i]);
        }
    }

    // a (n), s () -> out (n)
    public static void binaryRight(Binary op, float[] a, int aOff, float s, float[] out, int oOff, int n) {
        int end = S.loopBound(n);
        int i = 0;
        FloatVector vs = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD -> { for (; i < end; i += L) load(a, aOff + i).add(vs).intoArray(out, oOff + i); }
            case SUB -> { for (; i < end; i += L) load(a, aOff + i).sub(vs).intoArray(out, oOff + i); }
            case MUL -> { for (; i < end; i += L) load(a, aOff + i).mul(vs).intoArray(out, oOff + i); }
            case DIV -> { for (; i < end; i += L) load(a, aOff + i).div(vs).intoArray(out, oOff + i); }
            case MAX -> { for (; i < end; i += L) load(a, aOff + i).max(vs).intoArray(out, oOff + i); }
            case MIN -> { for (; i < end; i += L) load(a, aOff + i).min(vs).intoArray(out, oOff + i); }
            case GREATER -> {
                for (; i < end; i += L) mask(load(a, aOff + i).compare(VectorOperators.GT, vs)).intoArray(out, oOff + i);
            }
            case LESS -> {
                for (; i < end; i += L) mask(load(a, aOff + i).compare(VectorOperators.LT, vs)).intoArray(out, oOff + i);
            }
        }
        for (; i < n; i++) {
            out[oOff + i] = op.apply(a[aOff + i], s);
        }
    }

    // s (), b (n) -> out (n)
    public static void binaryLeft(Binary op, float s, float[] b, int bOff, float[] out, int oOff, int n) {
        int end = S.loopBound(n);
        int i = 0;
        FloatVector vs = FloatVector.broadcast(S, s);
        switch (op) {
            case ADD -> { for (; i < end; i += L) vs.add(load(b, bOff + i)).intoArray(out, oOff + i); }
            case SUB -> { for (; i < end; i += L) vs.sub(load(b, bOff + i)).intoArray(out, oOff + i); }
            case MUL -> { for (; i < end; i += L) vs.mul(load(b, bOff + i)).intoArray(out, oOff + i); }
            case DIV -> { for (; i < end; i += L) vs.div(load(b, bOff + i)).intoArray(out, oOff + i); }
            case MAX -> { for (; i < end; i += L) vs.max(load(b, bOff + i)).intoArray(out, oOff + i); }
            case MIN -> { for (; i < end; i += L) vs.min(load(b, bOff + i)).intoArray(out, oOff + i); }
            case GREATER -> {
                for (; i < end; i += L) mask(vs.compare(VectorOperators.GT, load(b, bOff + i))).intoArray(out, oOff + i);
            }
            case LESS -> {
                for (; i < end; i += L) mask(vs.compare(VectorOperators.LT, load(b, bOff + i))).intoArray(out, oOff + i);
            }
        }
        for (; i < n; i++) {
            out[oOff + i] = op.apply(s, b[bOff + i]);
        }
    }

    // x (n) -> out (n)
    public static void unary(Unary op, float p, float q, float[] x, int xOff, float[] out, int oOff, int n) {
        int end = S.loopBound(n);
        int i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        switch (op) {
            case NEG -> { for (; i < end; i += L) load(x, xOff + i).neg().intoArray(out, oOff + i); }
            case ABS -> { for (; i < end; i += L) load(x, xOff + i).abs().intoArray(out, oOff + i); }
            case SQUARE -> { for (; i < end; i += L) { FloatVector v = load(x, xOff + i); v.mul(v).intoArray(out, oOff + i); } }
            case SQRT -> { for (; i < end; i += L) load(x, xOff + i).sqrt().intoArray(out, oOff + i); }
            case RSQRT -> { for (; i < end; i += L) one.div(load(x, xOff + i).sqrt()).intoArray(out, oOff + i); }
            case SIGN -> {
                // +-0 and NaN keep their value, as Math.signum does
                FloatVector minusOne = FloatVector.broadcast(S, -1f);
                for (; i < end; i += L) {
                    FloatVector v = load(x, xOff + i);
                    v.blend(one, v.compare(VectorOperators.GT, 0f)).blend(minusOne, v.compare(VectorOperators.LT, 0f))
                            .intoArray(out, oOff + i);
                }
            }
            case CLAMP -> {
                FloatVector lo = FloatVector.broadcast(S, p);
                FloatVector hi = FloatVector.broadcast(S, q);
                for (; i < end; i += L) load(x, xOff + i).max(lo).min(hi).intoArray(out, oOff + i);
            }
            case EXP -> { for (; i < end; i += L) load(x, xOff + i).lanewise(VectorOperators.EXP).intoArray(out, oOff + i); }
            case LOG -> { for (; i < end; i += L) load(x, xOff + i).lanewise(VectorOperators.LOG).intoArray(out, oOff + i); }
            case TANH -> { for (; i < end; i += L) load(x, xOff + i).lanewise(VectorOperators.TANH).intoArray(out, oOff + i); }
            case POW -> {
                FloatVector vp = FloatVector.broadcast(S, p);
                for (; i < end; i += L) load(x, xOff + i).lanewise(VectorOperators.POW, vp).intoArray(out, oOff + i);
            }
            case SIGMOID -> {
                // 1 / (1 + e^-x): e^-x = inf for very negative x gives 0, never NaN
                for (; i < end; i += L) {
                    one.div(one.add(load(x, xOff + i).neg().lanewise(VectorOperators.EXP))).intoArray(out, oOff + i);
                }
            }
            case SILU -> {
                for (; i < end; i += L) {
                    FloatVector v = load(x, xOff + i);
                    v.div(one.add(v.neg().lanewise(VectorOperators.EXP))).intoArray(out, oOff + i);
                }
            }
        }
        for (; i < n; i++) {
            out[oOff + i] = op.apply(x[xOff + i], p, q);
        }
    }

    // x (n), y (n) -> y (n)
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int end = S.loopBound(n);
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i < end; i += L) {
            load(x, xOff + i).mul(va).add(load(y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    private static FloatVector load(float[] a, int off) {
        return FloatVector.fromArray(S, a, off);
    }

    /** 1 where the mask is set, 0 elsewhere. */
    private static FloatVector mask(VectorMask<Float> m) {
        return FloatVector.zero(S).blend(1f, m);
    }
}
