package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.L;
import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import dev.cm4j.tensor.kernels.Elementwise.Binary;
import dev.cm4j.tensor.kernels.Elementwise.Unary;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector API elementwise loops, the fast twins of {@link ElementwiseReference}. Only referenced behind
 * {@code Simd.ENABLED}.
 *
 * <p>Every operation is its own small method with a constant operator. The Vector API compiles a lanewise operation
 * to machine instructions only when the operator is a JIT-time constant and the method is compiled by C2; one large
 * method holding every loop was measured 10-100x slower (it stays interpreted or deoptimises as the profile changes),
 * so the switch only dispatches.
 *
 * <p>Add, sub, mul, div, max, min, comparisons, neg, abs, sign, square, sqrt and clamp give the same bits as the scalar
 * twins, and their tails (shorter than a vector) run the scalar expression. Exp, log, tanh (and sigmoid, SiLU through
 * exp) use {@link VectorMath}, within ~2 ulp of {@code Math} and reproducible in every JIT mode; their
 * tails run the same polynomial as a masked vector operation, so an element's bits never depend on where its run (or
 * a thread's chunk) ends. Rsqrt rounds the square root to float before dividing (1 ulp from the double-based scalar
 * twin), in the body and the tail alike. Pow runs the scalar loop.
 */
public final class ElementwiseVector {
    private ElementwiseVector() {
    }

    // a (n), b (n) -> out (n)
    public static void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff, int n) {
        switch (op) {
            case ADD -> add(a, aOff, b, bOff, out, oOff, n);
            case SUB -> sub(a, aOff, b, bOff, out, oOff, n);
            case MUL -> mul(a, aOff, b, bOff, out, oOff, n);
            case DIV -> div(a, aOff, b, bOff, out, oOff, n);
            case MAX -> max(a, aOff, b, bOff, out, oOff, n);
            case MIN -> min(a, aOff, b, bOff, out, oOff, n);
            case GREATER -> greater(a, aOff, b, bOff, out, oOff, n);
            case LESS -> greater(b, bOff, a, aOff, out, oOff, n);
        }
    }

    // a (n), s () -> out (n)
    public static void binaryRight(Binary op, float[] a, int aOff, float s, float[] out, int oOff, int n) {
        switch (op) {
            case ADD -> addS(a, aOff, s, out, oOff, n);
            case SUB -> addS(a, aOff, -s, out, oOff, n); // a - s == a + (-s) exactly
            case MUL -> mulS(a, aOff, s, out, oOff, n);
            case DIV -> divS(a, aOff, s, out, oOff, n);
            case MAX -> maxS(a, aOff, s, out, oOff, n);
            case MIN -> minS(a, aOff, s, out, oOff, n);
            case GREATER -> greaterS(a, aOff, s, out, oOff, n);
            case LESS -> lessS(a, aOff, s, out, oOff, n);
        }
    }

    // s (), b (n) -> out (n): the commutative operations reuse the right-hand forms
    public static void binaryLeft(Binary op, float s, float[] b, int bOff, float[] out, int oOff, int n) {
        switch (op) {
            case SUB -> sSub(s, b, bOff, out, oOff, n);
            case DIV -> sDiv(s, b, bOff, out, oOff, n);
            case GREATER -> lessS(b, bOff, s, out, oOff, n);
            case LESS -> greaterS(b, bOff, s, out, oOff, n);
            default -> binaryRight(op, b, bOff, s, out, oOff, n);
        }
    }

    // x (n) -> out (n)
    public static void unary(Unary op, float p, float q, float[] x, int xOff, float[] out, int oOff, int n) {
        switch (op) {
            case NEG -> neg(x, xOff, out, oOff, n);
            case ABS -> abs(x, xOff, out, oOff, n);
            case SIGN -> sign(x, xOff, out, oOff, n);
            case SQUARE -> mul(x, xOff, x, xOff, out, oOff, n);
            case SQRT -> sqrt(x, xOff, out, oOff, n);
            case RSQRT -> rsqrt(x, xOff, out, oOff, n);
            case CLAMP -> clamp(x, xOff, p, q, out, oOff, n);
            case EXP -> exp(x, xOff, out, oOff, n);
            case LOG -> log(x, xOff, out, oOff, n);
            case TANH -> tanh(x, xOff, out, oOff, n);
            case SIN -> sinCos(false, x, xOff, out, oOff, n);
            case COS -> sinCos(true, x, xOff, out, oOff, n);
            // Math.pow's special cases (negative bases with integer exponents, ...) do not fit exp(p log x)
            case POW -> ElementwiseReference.unary(op, p, q, x, xOff, out, oOff, n);
            case SIGMOID -> sigmoid(x, xOff, out, oOff, n);
            case SILU -> silu(x, xOff, out, oOff, n);
        }
    }

    // x (n), y (n) -> y (n): multiply then add, as the scalar twin (no fused rounding)
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(x, xOff + i).mul(va).add(v(y, yOff + i)).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    // c (n), a (n), b (n) -> out (n): a blend instead of a branch, which random masks would mispredict half the time
    public static void select(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) {
            v(b, bOff + i).blend(v(a, aOff + i), v(c, cOff + i).compare(VectorOperators.NE, 0f)).intoArray(out, oOff + i);
        }
        for (; i < n; i++) out[oOff + i] = c[cOff + i] != 0 ? a[aOff + i] : b[bOff + i];
    }

    // ---------------------------------------------------------------- binary, both operands contiguous

    private static void add(float[] a, int ai, float[] b, int bi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).add(v(b, bi + i)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] + b[bi + i];
    }

    private static void sub(float[] a, int ai, float[] b, int bi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).sub(v(b, bi + i)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] - b[bi + i];
    }

    private static void mul(float[] a, int ai, float[] b, int bi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).mul(v(b, bi + i)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] * b[bi + i];
    }

    private static void div(float[] a, int ai, float[] b, int bi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).div(v(b, bi + i)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] / b[bi + i];
    }

    private static void max(float[] a, int ai, float[] b, int bi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).max(v(b, bi + i)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = Math.max(a[ai + i], b[bi + i]);
    }

    private static void min(float[] a, int ai, float[] b, int bi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).min(v(b, bi + i)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = Math.min(a[ai + i], b[bi + i]);
    }

    private static void greater(float[] a, int ai, float[] b, int bi, float[] o, int oi, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) {
            zero.blend(1f, v(a, ai + i).compare(VectorOperators.GT, v(b, bi + i))).intoArray(o, oi + i);
        }
        for (; i < n; i++) o[oi + i] = a[ai + i] > b[bi + i] ? 1f : 0f;
    }

    // ---------------------------------------------------------------- binary with one repeated operand

    private static void addS(float[] a, int ai, float s, float[] o, int oi, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).add(vs).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] + s;
    }

    private static void mulS(float[] a, int ai, float s, float[] o, int oi, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).mul(vs).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] * s;
    }

    private static void divS(float[] a, int ai, float s, float[] o, int oi, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).div(vs).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] / s;
    }

    private static void maxS(float[] a, int ai, float s, float[] o, int oi, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).max(vs).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = Math.max(a[ai + i], s);
    }

    private static void minS(float[] a, int ai, float s, float[] o, int oi, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(a, ai + i).min(vs).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = Math.min(a[ai + i], s);
    }

    private static void greaterS(float[] a, int ai, float s, float[] o, int oi, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) zero.blend(1f, v(a, ai + i).compare(VectorOperators.GT, s)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] > s ? 1f : 0f;
    }

    private static void lessS(float[] a, int ai, float s, float[] o, int oi, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) zero.blend(1f, v(a, ai + i).compare(VectorOperators.LT, s)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = a[ai + i] < s ? 1f : 0f;
    }

    private static void sSub(float s, float[] b, int bi, float[] o, int oi, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) vs.sub(v(b, bi + i)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = s - b[bi + i];
    }

    private static void sDiv(float s, float[] b, int bi, float[] o, int oi, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) vs.div(v(b, bi + i)).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = s / b[bi + i];
    }

    // ---------------------------------------------------------------- unary

    private static void neg(float[] x, int xi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(x, xi + i).neg().intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = -x[xi + i];
    }

    private static void abs(float[] x, int xi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(x, xi + i).abs().intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = Math.abs(x[xi + i]);
    }

    // +-0 and NaN keep their value, as Math.signum does
    private static void sign(float[] x, int xi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) {
            FloatVector vx = v(x, xi + i);
            vx.blend(1f, vx.compare(VectorOperators.GT, 0f)).blend(-1f, vx.compare(VectorOperators.LT, 0f))
                    .intoArray(o, oi + i);
        }
        for (; i < n; i++) o[oi + i] = Math.signum(x[xi + i]);
    }

    private static void sqrt(float[] x, int xi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(x, xi + i).sqrt().intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = (float) Math.sqrt(x[xi + i]);
    }

    private static void rsqrt(float[] x, int xi, float[] o, int oi, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) one.div(v(x, xi + i).sqrt()).intoArray(o, oi + i);
        // the vector body's rounding: a float square root (the double one rounded once to float is the same value),
        // then a float division
        for (; i < n; i++) o[oi + i] = 1f / (float) Math.sqrt(x[xi + i]);
    }

    private static void clamp(float[] x, int xi, float lo, float hi, float[] o, int oi, int n) {
        FloatVector vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) v(x, xi + i).max(vlo).min(vhi).intoArray(o, oi + i);
        for (; i < n; i++) o[oi + i] = Math.min(Math.max(x[xi + i], lo), hi);
    }

    private static void exp(float[] x, int xi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) VectorMath.exp(v(x, xi + i)).intoArray(o, oi + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.exp(v(x, xi + i, m)).intoArray(o, oi + i, m);
        }
    }

    private static void log(float[] x, int xi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) VectorMath.log(v(x, xi + i)).intoArray(o, oi + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.log(v(x, xi + i, m)).intoArray(o, oi + i, m);
        }
    }

    private static void tanh(float[] x, int xi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) VectorMath.tanh(v(x, xi + i)).intoArray(o, oi + i);
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.tanh(v(x, xi + i, m)).intoArray(o, oi + i, m);
        }
    }

    private static void sinCos(boolean cosine, float[] x, int xi, float[] o, int oi, int n) {
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) {
            FloatVector vx = v(x, xi + i);
            (cosine ? VectorMath.cos(vx) : VectorMath.sin(vx)).intoArray(o, oi + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector vx = v(x, xi + i, m);
            (cosine ? VectorMath.cos(vx) : VectorMath.sin(vx)).intoArray(o, oi + i, m);
        }
    }

    // 1 / (1 + e^-x): e^-x = inf for very negative x gives 0, never NaN
    private static void sigmoid(float[] x, int xi, float[] o, int oi, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) {
            one.div(one.add(VectorMath.exp(v(x, xi + i).neg()))).intoArray(o, oi + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            one.div(one.add(VectorMath.exp(v(x, xi + i, m).neg()))).intoArray(o, oi + i, m);
        }
    }

    private static void silu(float[] x, int xi, float[] o, int oi, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int e = S.loopBound(n); i < e; i += L) {
            FloatVector vx = v(x, xi + i);
            vx.div(one.add(VectorMath.exp(vx.neg()))).intoArray(o, oi + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector vx = v(x, xi + i, m);
            vx.div(one.add(VectorMath.exp(vx.neg()))).intoArray(o, oi + i, m);
        }
    }

    private static FloatVector v(float[] a, int off) {
        return FloatVector.fromArray(S, a, off);
    }

    /** The lanes of m loaded (a tail), the others 0: every lane is computed alone, so those never reach a result. */
    private static FloatVector v(float[] a, int off, VectorMask<Float> m) {
        return FloatVector.fromArray(S, a, off, m);
    }
}
