package dev.cm4j.tensor;

import dev.cm4j.tensor.kernels.Elementwise.Binary;
import dev.cm4j.tensor.kernels.Elementwise.Unary;
import dev.cm4j.tensor.kernels.Reduce;
import dev.cm4j.tensor.kernels.Reduce.Op;
import java.util.Arrays;

/**
 * Plans reductions over any set of axes as a sequence of the three kernel layouts of {@link Reduce}.
 *
 * <p>Dimensions of size 1 are dropped and adjacent dimensions merged when both are reduced or both kept, leaving an
 * alternating pattern such as {@code (K, R, K, R)}. The innermost reduced group is reduced first (rows when it is
 * last, columns with a contiguous inner loop otherwise), the pattern shrinks, and the loop repeats. Every choice
 * depends on the shape only, never on the thread count, and whole-tensor sums are reduced in fixed-size blocks
 * combined in block order, so results are bit-identical for any number of threads.
 */
final class Reductions {
    /** Elements per block of a long sum; fixed so that the association order is independent of the threads. */
    static final int BLOCK = 1 << 14;

    private Reductions() {
    }

    /** Which axes of {@code shape} an operation reduces: all of them when {@code axes} is empty. */
    static boolean[] mask(String op, int[] shape, int[] axes) {
        boolean[] red = new boolean[shape.length];
        if (axes.length == 0) {
            Arrays.fill(red, true);
            return red;
        }
        for (int a : axes) {
            int ax = Shapes.axis(op, a, shape);
            if (red[ax]) {
                throw new IllegalArgumentException(op + ": axis " + a + " repeated in " + Arrays.toString(axes)
                        + " for shape " + Shapes.str(shape));
            }
            red[ax] = true;
        }
        return red;
    }

    // x (any), axes -> sum / count
    static Tensor mean(Tensor x, boolean keepDims, int[] axes) {
        int[] shape = x.shape();
        boolean[] red = mask("mean", shape, axes);
        int n = count(shape, red);
        if (n == 0) {
            throw new IllegalArgumentException("mean: cannot average over an empty axis of shape " + Shapes.str(shape));
        }
        Tensor s = reduce("mean", Op.SUM, x, red, keepDims);
        ElementwiseOps.binaryScalarInto(Binary.DIV, s, n, s);
        return s;
    }

    // x (any), axes -> mean of squared deviations from the mean (population variance)
    static Tensor variance(Tensor x, boolean keepDims, int[] axes) {
        mask("variance", x.shape(), axes);
        Tensor d = x.sub(mean(x, true, axes));
        ElementwiseOps.unaryInto(Unary.SQUARE, 0, 0, d, d);
        return mean(d, keepDims, axes);
    }

    // x (any), axes -> m + log(sum(exp(x - m))), m the maximum
    static Tensor logsumexp(Tensor x, boolean keepDims, int[] axes) {
        int[] shape = x.shape();
        boolean[] red = mask("logsumexp", shape, axes);
        Tensor m = reduce("logsumexp", Op.MAX, x, red, true);
        // an infinite maximum (all -inf, or some +inf) would give inf - inf = NaN: shift by 0 there instead
        float[] md = m.data();
        for (int i = 0; i < md.length; i++) {
            if (Float.isInfinite(md[i])) {
                md[i] = 0;
            }
        }
        Tensor e = x.sub(m);
        ElementwiseOps.unaryInto(Unary.EXP, 0, 0, e, e);
        Tensor out = reduce("logsumexp", Op.SUM, e, red, true);
        ElementwiseOps.unaryInto(Unary.LOG, 0, 0, out, out);
        ElementwiseOps.binaryInto(Binary.ADD, out, m, out);
        return out.reshape(outShape(shape, red, keepDims));
    }

    // a (s), b (s) -> every |a - b| <= atol + rtol |b|
    static boolean allClose(Tensor a, Tensor b, float rtol, float atol) {
        float[] ad = a.data(), bd = b.data();
        for (int i = 0, ao = a.offset(), bo = b.offset(); i < a.size(); i++) {
            float x = ad[ao + i], y = bd[bo + i];
            if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
                return false;
            }
        }
        return true;
    }

    // a (s), b (s) -> max |a - b|, NaN when any difference is NaN
    static float maxAbsDiff(Tensor a, Tensor b) {
        float[] ad = a.data(), bd = b.data();
        float m = 0;
        for (int i = 0, ao = a.offset(), bo = b.offset(); i < a.size(); i++) {
            float d = Math.abs(ad[ao + i] - bd[bo + i]);
            if (Float.isNaN(d)) {
                return d;
            }
            m = Math.max(m, d);
        }
        return m;
    }

    /** Shape of the result: reduced axes become 1 with {@code keepDims}, else disappear. */
    static int[] outShape(int[] shape, boolean[] red, boolean keepDims) {
        int[] out = new int[shape.length];
        int n = 0;
        for (int d = 0; d < shape.length; d++) {
            if (!red[d]) {
                out[n++] = shape[d];
            } else if (keepDims) {
                out[n++] = 1;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Number of elements each output value reduces. */
    static int count(int[] shape, boolean[] red) {
        long c = 1;
        for (int d = 0; d < shape.length; d++) {
            if (red[d]) {
                c *= shape[d];
            }
        }
        return (int) c;
    }

    // x (any shape), reduced axes -> out (outShape)
    static Tensor reduce(String name, Op op, Tensor x, boolean[] red, boolean keepDims) {
        int[] shape = x.shape();
        int[] outShape = outShape(shape, red, keepDims);
        if (count(shape, red) == 0 && op != Op.SUM) {
            throw new IllegalArgumentException(name + ": cannot reduce over an empty axis of shape " + Shapes.str(shape));
        }
        if (Shapes.size(outShape) == 0 || x.size() == 0) {
            return Tensor.zeros(outShape); // nothing to compute, or sums over nothing
        }
        // merged groups: dims[i] with reduced[i]; size-1 dimensions carry no data order
        int[] dims = new int[shape.length];
        boolean[] reduced = new boolean[shape.length];
        int nd = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (nd > 0 && reduced[nd - 1] == red[d]) {
                dims[nd - 1] *= shape[d];
            } else {
                dims[nd] = shape[d];
                reduced[nd++] = red[d];
            }
        }
        float[] cur = x.data();
        int curOff = x.offset();
        boolean fresh = false;
        while (true) {
            int g = -1;
            for (int i = nd - 1; i >= 0 && g < 0; i--) {
                if (reduced[i]) {
                    g = i;
                }
            }
            if (g < 0) {
                break;
            }
            int outer = 1, inner = 1;
            for (int i = 0; i < g; i++) {
                outer *= dims[i];
            }
            for (int i = g + 1; i < nd; i++) {
                inner *= dims[i];
            }
            float[] next = new float[outer * inner];
            reduceGroup(op, cur, curOff, outer, dims[g], inner, next);
            cur = next;
            curOff = 0;
            fresh = true;
            // drop group g; its neighbours are both kept groups (or absent): merge them
            if (g > 0 && g < nd - 1) {
                dims[g - 1] *= dims[g + 1];
                System.arraycopy(dims, g + 2, dims, g, nd - g - 2);
                System.arraycopy(reduced, g + 2, reduced, g, nd - g - 2);
                nd -= 2;
            } else {
                System.arraycopy(dims, g + 1, dims, g, nd - g - 1);
                System.arraycopy(reduced, g + 1, reduced, g, nd - g - 1);
                nd -= 1;
            }
        }
        float[] result = fresh ? cur : Arrays.copyOfRange(cur, curOff, curOff + x.size());
        return Tensor.wrap(result, outShape);
    }

    // x (outer, len, inner) -> out (outer, inner)
    private static void reduceGroup(Op op, float[] x, int xOff, int outer, int len, int inner, float[] out) {
        int grainRows = Math.max(1, ElementwiseOps.GRAIN / Math.max(1, len * inner));
        if (inner == 1) {
            if (len > BLOCK) {
                // long rows: blocked (parallel over blocks when there is a single row)
                Parallel.forRange(outer, 1, (r0, r1) -> {
                    for (int r = r0; r < r1; r++) {
                        out[r] = op == Op.SUM ? (float) blockedSum(x, xOff + r * len, len)
                                : blockedExtreme(op, x, xOff + r * len, len);
                    }
                });
            } else {
                Parallel.forRange(outer, grainRows, (r0, r1) ->
                        Reduce.rows(op, x, xOff + r0 * len, r1 - r0, len, out, r0));
            }
        } else if (outer > 1) {
            Parallel.forRange(outer, grainRows, (o0, o1) -> {
                for (int o = o0; o < o1; o++) {
                    Reduce.columns(op, x, xOff + o * len * inner, len, inner, 0, inner, out, o * inner);
                }
            });
        } else {
            Parallel.forRange(inner, Math.max(64, ElementwiseOps.GRAIN / len), ElementwiseOps.ALIGN, (c0, c1) ->
                    Reduce.columns(op, x, xOff, len, inner, c0, c1, out, 0));
        }
    }

    /**
     * Sum of x[off, off + n) as fixed blocks of {@link #BLOCK} elements, summed in parallel and combined in block
     * order in double: the same bits for any thread count.
     */
    static double blockedSum(float[] x, int off, int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        Parallel.forRange(blocks, 2, (b0, b1) -> blockSums(x, off, n, b0, b1, partial));
        return combine(partial);
    }

    /** MAX or MIN of x[off, off + n) over blocks in parallel (exact in any order; blocked like the sums). */
    static float blockedExtreme(Op op, float[] x, int off, int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        float[] partial = new float[blocks];
        Parallel.forRange(blocks, 2, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                partial[b] = Reduce.reduce(op, x, off + b * BLOCK, Math.min(BLOCK, n - b * BLOCK));
            }
        });
        float m = op.identity();
        for (float p : partial) {
            m = op.combine(m, p);
        }
        return m;
    }

    /** partial[b] = sum of block b of x[off, off + n), for blocks [b0, b1). */
    static void blockSums(float[] x, int off, int n, int b0, int b1, double[] partial) {
        for (int b = b0; b < b1; b++) {
            int s = b * BLOCK;
            partial[b] = Reduce.sum(x, off + s, Math.min(BLOCK, n - s));
        }
    }

    /** The partial sums added in block order. */
    static double combine(double[] partial) {
        double s = 0;
        for (double p : partial) {
            s += p;
        }
        return s;
    }

    // x (any), axis -> indices (as floats) of the first maximum along axis
    static Tensor argmax(Tensor x, int axis, boolean keepDims) {
        int[] shape = x.shape();
        int ax = Shapes.axis("argmax", axis, shape);
        if (shape[ax] == 0) {
            throw new IllegalArgumentException("argmax: cannot reduce over an empty axis of shape " + Shapes.str(shape));
        }
        boolean[] red = new boolean[shape.length];
        red[ax] = true;
        int outer = Shapes.outer(shape, ax), inner = Shapes.inner(shape, ax);
        Tensor out = Tensor.output(outShape(shape, red, keepDims));
        Reduce.argmax(x.data(), x.offset(), outer, shape[ax], inner, out.data(), 0);
        return out;
    }
}
