package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.FloatSpecies.L;
import static dev.cm4j.tensor.kernels.FloatSpecies.S;

import dev.cm4j.tensor.kernels.Reduce.Op;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector API reductions, the fast twins of {@link ReduceReference}. Only referenced behind {@code Simd.ENABLED}.
 *
 * <p>Runs are reduced with four independent vector accumulators (the adds of one accumulator form a dependency chain
 * whose latency, not throughput, would otherwise bound the loop), combined in a fixed order at the end. Column
 * reductions keep a strip of columns in registers while walking down the rows.
 */
public final class ReduceVector {
    private ReduceVector() {
    }

    // x (n) -> sum in float accumulators
    public static double sum(float[] x, int off, int n) {
        return reduceSum(x, off, n);
    }

    public static float reduce(Op op, float[] x, int off, int n) {
        return switch (op) {
            case SUM -> reduceSum(x, off, n);
            case MAX -> reduceExtreme(true, x, off, n);
            case MIN -> reduceExtreme(false, x, off, n);
        };
    }

    private static float reduceSum(float[] x, int off, int n) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int end4 = n - 4 * L; i <= end4; i += 4 * L) {
            a0 = a0.add(load(x, off + i));
            a1 = a1.add(load(x, off + i + L));
            a2 = a2.add(load(x, off + i + 2 * L));
            a3 = a3.add(load(x, off + i + 3 * L));
        }
        for (int end = S.loopBound(n); i < end; i += L) {
            a0 = a0.add(load(x, off + i));
        }
        float s = VectorMath.sumLanes(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    /** MAX or MIN: one loop, the choice is loop-invariant so the JIT unswitches it. */
    private static float reduceExtreme(boolean max, float[] x, int off, int n) {
        FloatVector a0 = FloatVector.broadcast(S, max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
        FloatVector a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int end4 = n - 4 * L; i <= end4; i += 4 * L) {
            a0 = extreme(max, a0, load(x, off + i));
            a1 = extreme(max, a1, load(x, off + i + L));
            a2 = extreme(max, a2, load(x, off + i + 2 * L));
            a3 = extreme(max, a3, load(x, off + i + 3 * L));
        }
        for (int end = S.loopBound(n); i < end; i += L) {
            a0 = extreme(max, a0, load(x, off + i));
        }
        FloatVector a = extreme(max, extreme(max, a0, a1), extreme(max, a2, a3));
        float m = a.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
        for (; i < n; i++) {
            m = max ? Math.max(m, x[off + i]) : Math.min(m, x[off + i]);
        }
        return m;
    }

    private static FloatVector extreme(boolean max, FloatVector a, FloatVector b) {
        return max ? a.max(b) : a.min(b);
    }

    // x (rows, len) -> out (rows)
    public static void rows(Op op, float[] x, int xOff, int rows, int len, float[] out, int oOff) {
        for (int r = 0; r < rows; r++) {
            out[oOff + r] = reduce(op, x, xOff + r * len, len);
        }
    }

    // x (rows, cols) -> out (cols) for columns [c0, c1): same order of operations per column as the scalar twin
    public static void columns(Op op, float[] x, int xOff, int rows, int cols, int c0, int c1, float[] out, int oOff) {
        int j = c0;
        // strips of two vectors keep the row loop's loads independent
        for (; j + 2 * L <= c1; j += 2 * L) {
            FloatVector a0 = load(x, xOff + j);
            FloatVector a1 = load(x, xOff + j + L);
            for (int r = 1; r < rows; r++) {
                int base = xOff + r * cols + j;
                a0 = combine(op, a0, load(x, base));
                a1 = combine(op, a1, load(x, base + L));
            }
            a0.intoArray(out, oOff + j);
            a1.intoArray(out, oOff + j + L);
        }
        for (; j + L <= c1; j += L) {
            FloatVector a0 = load(x, xOff + j);
            for (int r = 1; r < rows; r++) {
                a0 = combine(op, a0, load(x, xOff + r * cols + j));
            }
            a0.intoArray(out, oOff + j);
        }
        if (j < c1) {
            ReduceReference.columns(op, x, xOff, rows, cols, j, c1, out, oOff);
        }
    }

    private static FloatVector combine(Op op, FloatVector acc, FloatVector v) {
        return switch (op) {
            case SUM -> acc.add(v);
            case MAX -> acc.max(v);
            case MIN -> acc.min(v);
        };
    }

    private static FloatVector load(float[] a, int off) {
        return FloatVector.fromArray(S, a, off);
    }
}
