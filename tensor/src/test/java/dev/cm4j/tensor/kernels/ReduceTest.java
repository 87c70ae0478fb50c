package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.kernels.Reduce.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Both reduction implementations against double references over sizes that hit every remainder. */
class ReduceTest {
    static final int[] SIZES = {1, 7, 8, 9, 31, 32, 33, 63, 65, 257, 1031, 4099};

    static double ref(Op op, float[] x, int off, int n, int stride) {
        double r = op == Op.SUM ? 0 : op == Op.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double v = x[off + i * stride];
            r = op == Op.SUM ? r + v : op == Op.MAX ? Math.max(r, v) : Math.min(r, v);
        }
        return r;
    }

    /** Float accumulation error bound for a sum: a few ulp of the sum of magnitudes. */
    static double tol(Op op, float[] x, int off, int n, int stride) {
        if (op != Op.SUM) {
            return 0;
        }
        double abs = 0;
        for (int i = 0; i < n; i++) {
            abs += Math.abs(x[off + i * stride]);
        }
        return abs * 1e-6;
    }

    static float[] data(Rng rng, int n) {
        float[] x = new float[n];
        rng.fillUniform(x, 0, n, -1f, 3f);
        return x;
    }

    @ParameterizedTest
    @EnumSource(Op.class)
    void runsMatchReference(Op op) {
        Rng rng = new Rng(21, op.ordinal());
        for (int n : SIZES) {
            float[] x = data(rng, n + 3);
            double want = ref(op, x, 3, n, 1), tol = tol(op, x, 3, n, 1);
            float s = ReduceReference.reduce(op, x, 3, n), v = ReduceVector.reduce(op, x, 3, n);
            assertTrue(Math.abs(s - want) <= tol, op + " scalar n=" + n + ": diff " + Math.abs(s - want));
            assertTrue(Math.abs(v - want) <= tol, op + " vector n=" + n + ": diff " + Math.abs(v - want));
            if (op == Op.SUM) {
                assertTrue(Math.abs(ReduceReference.sum(x, 3, n) - want) <= 1e-9 * tol * 1e6, "double sum n=" + n);
                assertTrue(Math.abs(ReduceVector.sum(x, 3, n) - want) <= tol, "vector sum n=" + n);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Op.class, names = {"MAX", "MIN"})
    void nanPropagatesThroughMaxAndMin(Op op) {
        for (int n : new int[] {1, 9, 40}) {
            for (int at = 0; at < n; at += 4) {
                float[] x = new float[n];
                x[at] = Float.NaN;
                assertTrue(Float.isNaN(ReduceReference.reduce(op, x, 0, n)), op + " scalar n=" + n + " at " + at);
                assertTrue(Float.isNaN(ReduceVector.reduce(op, x, 0, n)), op + " vector n=" + n + " at " + at);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Op.class)
    void rowsAndColumnsMatchReference(Op op) {
        Rng rng = new Rng(22, op.ordinal());
        int[] dims = {1, 7, 8, 9, 17, 33};
        for (int rows : dims) {
            for (int cols : dims) {
                float[] x = data(rng, rows * cols + 1);
                float[] rs = new float[rows], rv = new float[rows];
                ReduceReference.rows(op, x, 1, rows, cols, rs, 0);
                ReduceVector.rows(op, x, 1, rows, cols, rv, 0);
                for (int r = 0; r < rows; r++) {
                    double want = ref(op, x, 1 + r * cols, cols, 1), tol = tol(op, x, 1 + r * cols, cols, 1);
                    assertTrue(Math.abs(rs[r] - want) <= tol, op + " rows scalar " + rows + "x" + cols);
                    assertTrue(Math.abs(rv[r] - want) <= tol, op + " rows vector " + rows + "x" + cols);
                }
                // columns, whole and as two column ranges split at an odd point
                float[] cs = new float[cols + 2], cv = new float[cols + 2];
                ReduceReference.columns(op, x, 1, rows, cols, 0, cols, cs, 2);
                int mid = cols / 2 + 1 > cols ? cols : cols / 2 + 1;
                ReduceVector.columns(op, x, 1, rows, cols, 0, mid, cv, 2);
                ReduceVector.columns(op, x, 1, rows, cols, mid, cols, cv, 2);
                for (int c = 0; c < cols; c++) {
                    double want = ref(op, x, 1 + c, rows, cols), tol = tol(op, x, 1 + c, rows, cols);
                    assertTrue(Math.abs(cs[2 + c] - want) <= tol, op + " columns scalar " + rows + "x" + cols);
                }
                // both column kernels add row by row in the same order
                assertArrayEquals(cs, cv, op + " columns scalar vs vector " + rows + "x" + cols);
            }
        }
    }

    @Test
    void argmaxTakesTheFirstMaximumAndNaN() {
        // x (2, 3, 2): argmax over the middle axis
        float[] x = {1, 5, 3, 5, 3, 0, /* */ 2, Float.NaN, 2, 1, 0, Float.NaN};
        float[] out = new float[4];
        ReduceReference.argmax(x, 0, 2, 3, 2, out, 0);
        assertArrayEquals(new float[] {1, 0, 0, 0}, out);
        float[] y = {0, 7, 7, -1};
        float[] one = new float[1];
        ReduceReference.argmax(y, 0, 1, 4, 1, one, 0);
        assertEquals(1f, one[0]);
    }
}
