package dev.cm4j.tensor.kernels;

import dev.cm4j.tensor.Simd;

/**
 * Reduction kernels over flat arrays, dispatching to {@link ReduceVector} or {@link ReduceReference} by
 * {@link Simd#ENABLED}.
 *
 * <p>Three layouts cover every reduction once adjacent axes are merged: a whole run ({@link #reduce}), the rows of a
 * matrix (reduce the contiguous last axis, {@link #rows}) and its columns (reduce the leading axis while the inner loop
 * runs over contiguous columns, {@link #columns}). Each output value is computed by one call in a fixed order, so
 * splitting rows or columns over threads never changes a result.
 */
public final class Reduce {
    private Reduce() {
    }

    /** The combining operation. */
    public enum Op {
        SUM, MAX, MIN;

        /** Value of the reduction over zero elements; MAX and MIN have none. */
        public float identity() {
            return switch (this) {
                case SUM -> 0f;
                case MAX -> Float.NEGATIVE_INFINITY;
                case MIN -> Float.POSITIVE_INFINITY;
            };
        }

        public float combine(float x, float y) {
            return switch (this) {
                case SUM -> x + y;
                case MAX -> Math.max(x, y);
                case MIN -> Math.min(x, y);
            };
        }
    }

    /** Sum of x[off, off + n); the scalar twin accumulates in double, the vector one in several float vectors. */
    public static double sum(float[] x, int off, int n) {
        return Simd.ENABLED ? ReduceVector.sum(x, off, n) : ReduceReference.sum(x, off, n);
    }

    /** op over x[off, off + n). */
    public static float reduce(Op op, float[] x, int off, int n) {
        return Simd.ENABLED ? ReduceVector.reduce(op, x, off, n) : ReduceReference.reduce(op, x, off, n);
    }

    /** x (rows, len) -> out (rows): op over each row. */
    public static void rows(Op op, float[] x, int xOff, int rows, int len, float[] out, int oOff) {
        if (Simd.ENABLED) {
            ReduceVector.rows(op, x, xOff, rows, len, out, oOff);
        } else {
            ReduceReference.rows(op, x, xOff, rows, len, out, oOff);
        }
    }

    /** x (rows, cols) -> out (cols): op down columns [c0, c1); rows >= 1. */
    public static void columns(Op op, float[] x, int xOff, int rows, int cols, int c0, int c1, float[] out, int oOff) {
        if (Simd.ENABLED) {
            ReduceVector.columns(op, x, xOff, rows, cols, c0, c1, out, oOff);
        } else {
            ReduceReference.columns(op, x, xOff, rows, cols, c0, c1, out, oOff);
        }
    }

    /** x (outer, len, inner) -> out (outer, inner): index of the first maximum along len; plain loops only. */
    public static void argmax(float[] x, int xOff, int outer, int len, int inner, float[] out, int oOff) {
        ReduceReference.argmax(x, xOff, outer, len, inner, out, oOff);
    }
}
