package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.kernels.Reduce.Op;

/** Plain-Java reductions: the reference for {@link ReduceVector} and the fallback without the Vector API. */
public final class ReduceReference {
    private ReduceReference() {
    }

    // x (n) -> sum, accumulated in double
    public static double sum(float[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    // x (n) -> op(x); NaN propagates through MAX and MIN as in Math.max
    public static float reduce(Op op, float[] x, int off, int n) {
        if (op == Op.SUM) {
            return (float) sum(x, off, n);
        }
        float m = op.identity();
        for (int i = 0; i < n; i++) {
            m = op.combine(m, x[off + i]);
        }
        return m;
    }

    // x (rows, len) -> out (rows)
    public static void rows(Op op, float[] x, int xOff, int rows, int len, float[] out, int oOff) {
        for (int r = 0; r < rows; r++) {
            out[oOff + r] = reduce(op, x, xOff + r * len, len);
        }
    }

    // x (rows, cols) -> out (cols) for columns [c0, c1): rows outer, so the inner loop reads contiguous memory;
    // accumulates in float row by row, the order the vector twin uses, so both give the same bits
    public static void columns(Op op, float[] x, int xOff, int rows, int cols, int c0, int c1, float[] out, int oOff) {
        System.arraycopy(x, xOff + c0, out, oOff + c0, c1 - c0);
        for (int r = 1; r < rows; r++) {
            int base = xOff + r * cols;
            switch (op) {
                case SUM -> { for (int j = c0; j < c1; j++) out[oOff + j] += x[base + j]; }
                case MAX -> { for (int j = c0; j < c1; j++) out[oOff + j] = Math.max(out[oOff + j], x[base + j]); }
                case MIN -> { for (int j = c0; j < c1; j++) out[oOff + j] = Math.min(out[oOff + j], x[base + j]); }
            }
        }
    }

    // x (outer, len, inner) -> out (outer, inner): index of the first maximum along len (a NaN counts as the maximum)
    public static void argmax(float[] x, int xOff, int outer, int len, int inner, float[] out, int oOff) {
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = xOff + o * len * inner + j;
                float best = x[base];
                int arg = 0;
                for (int r = 1; r < len && !Float.isNaN(best); r++) {
                    float v = x[base + r * inner];
                    if (v > best || Float.isNaN(v)) {
                        best = v;
                        arg = r;
                    }
                }
                out[oOff + o * inner + j] = arg;
            }
        }
    }
}
