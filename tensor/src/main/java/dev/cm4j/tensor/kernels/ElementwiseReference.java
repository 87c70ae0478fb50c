package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.kernels.Elementwise.Binary;
import dev.cm4j.tensor.kernels.Elementwise.Unary;

/**
 * Plain-Java elementwise loops: the reference for {@link ElementwiseVector} and the fallback without the Vector API.
 *
 * <p>The operation is chosen once per call (a switch outside the loop) so each loop body is a single expression the
 * JIT can unroll. Every value equals {@link Binary#apply} / {@link Unary#apply}.
 */
public final class ElementwiseReference {
    private ElementwiseReference() {
    }

    // a (n), b (n) -> out (n)
    public static void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] + b[bOff + i]; }
            case SUB -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] - b[bOff + i]; }
            case MUL -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] * b[bOff + i]; }
            case DIV -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] / b[bOff + i]; }
            case MAX -> { for (int i = 0; i < n; i++) out[oOff + i] = Math.max(a[aOff + i], b[bOff + i]); }
            case MIN -> { for (int i = 0; i < n; i++) out[oOff + i] = Math.min(a[aOff + i], b[bOff + i]); }
            case GREATER -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] > b[bOff + i] ? 1f : 0f; }
            case LESS -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] < b[bOff + i] ? 1f : 0f; }
        }
    }

    // a (n), s () -> out (n)
    public static void binaryRight(Binary op, float[] a, int aOff, float s, float[] out, int oOff, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] + s; }
            case SUB -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] - s; }
            case MUL -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] * s; }
            case DIV -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] / s; }
            case MAX -> { for (int i = 0; i < n; i++) out[oOff + i] = Math.max(a[aOff + i], s); }
            case MIN -> { for (int i = 0; i < n; i++) out[oOff + i] = Math.min(a[aOff + i], s); }
            case GREATER -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] > s ? 1f : 0f; }
            case LESS -> { for (int i = 0; i < n; i++) out[oOff + i] = a[aOff + i] < s ? 1f : 0f; }
        }
    }

    // s (), b (n) -> out (n)
    public static void binaryLeft(Binary op, float s, float[] b, int bOff, float[] out, int oOff, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) out[oOff + i] = s + b[bOff + i]; }
            case SUB -> { for (int i = 0; i < n; i++) out[oOff + i] = s - b[bOff + i]; }
            case MUL -> { for (int i = 0; i < n; i++) out[oOff + i] = s * b[bOff + i]; }
            case DIV -> { for (int i = 0; i < n; i++) out[oOff + i] = s / b[bOff + i]; }
            case MAX -> { for (int i = 0; i < n; i++) out[oOff + i] = Math.max(s, b[bOff + i]); }
            case MIN -> { for (int i = 0; i < n; i++) out[oOff + i] = Math.min(s, b[bOff + i]); }
            case GREATER -> { for (int i = 0; i < n; i++) out[oOff + i] = s > b[bOff + i] ? 1f : 0f; }
            case LESS -> { for (int i = 0; i < n; i++) out[oOff + i] = s < b[bOff + i] ? 1f : 0f; }
        }
    }

    // x (n) -> out (n)
    public static void unary(Unary op, float p, float q, float[] x, int xOff, float[] out, int oOff, int n) {
        switch (op) {
            case NEG -> { for (int i = 0; i < n; i++) out[oOff + i] = -x[xOff + i]; }
            case ABS -> { for (int i = 0; i < n; i++) out[oOff + i] = Math.abs(x[xOff + i]); }
            case SQUARE -> { for (int i = 0; i < n; i++) out[oOff + i] = x[xOff + i] * x[xOff + i]; }
            case SQRT -> { for (int i = 0; i < n; i++) out[oOff + i] = (float) Math.sqrt(x[xOff + i]); }
            case CLAMP -> { for (int i = 0; i < n; i++) out[oOff + i] = Math.min(Math.max(x[xOff + i], p), q); }
            // transcendentals cost far more than the dispatch: share the one definition
            default -> { for (int i = 0; i < n; i++) out[oOff + i] = op.apply(x[xOff + i], p, q); }
        }
    }

    // c (n), a (n), b (n) -> out (n)
    public static void select(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, float[] out, int oOff, int n) {
        for (int i = 0; i < n; i++) {
            out[oOff + i] = c[cOff + i] != 0 ? a[aOff + i] : b[bOff + i];
        }
    }

    // x (n), y (n) -> y (n)
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }
}
