package dev.cm4j.tensor;

import static dev.cm4j.tensor.NaiveRef.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reductions over every subset of axes of several shapes, against double references. */
class TensorReduceTest {
    static final int[][] SHAPES = {{7}, {257}, {1, 9}, {33, 8}, {9, 31}, {3, 1, 5}, {2, 3, 4, 5}, {4, 17, 1, 33},
        {2, 1, 7, 9}, {70000}, {3, 40000}, {40000, 3}};

    /** All subsets of the axes as axis lists (the empty list means all axes in the API). */
    static List<int[]> subsets(int rank) {
        List<int[]> out = new ArrayList<>();
        for (int m = 0; m < (1 << rank); m++) {
            int[] axes = new int[Integer.bitCount(m)];
            for (int d = 0, k = 0; d < rank; d++) {
                if ((m & (1 << d)) != 0) {
                    axes[k++] = d - (d % 2 == 1 ? rank : 0); // mix negative axes in
                }
            }
            out.add(axes);
        }
        return out;
    }

    static boolean[] redMask(int rank, int[] axes) {
        boolean[] red = new boolean[rank];
        for (int a : axes) {
            red[a < 0 ? a + rank : a] = true;
        }
        if (axes.length == 0) {
            java.util.Arrays.fill(red, true);
        }
        return red;
    }

    static int[] keptShape(int[] shape, boolean[] red) {
        int[] k = shape.clone();
        for (int d = 0; d < k.length; d++) {
            if (red[d]) {
                k[d] = 1;
            }
        }
        return k;
    }

    @Test
    void sumMeanMaxMinOverEverySubsetOfAxes() {
        Rng rng = new Rng(41);
        for (int[] shape : SHAPES) {
            Tensor x = NaiveRef.random(rng, shape);
            for (int[] axes : subsets(shape.length)) {
                boolean[] red = redMask(shape.length, axes);
                int[] keep = keptShape(shape, red);
                int n = x.size() / Shapes.size(keep);
                String what = Shapes.str(shape) + " axes " + java.util.Arrays.toString(axes);
                double[] sum = NaiveRef.reduce(x, red, 0);
                // float accumulation over n values of magnitude <= 2: allow a few ulp of n * 2
                double atol = 2e-7 * n * 2 * (Simd.ENABLED ? 4 : 1) + 1e-6;
                assertClose("sum " + what, x.sum(true, axes).toArray(), sum, 1e-6, atol);
                assertArrayEquals(keep, x.sum(true, axes).shape());
                double[] mean = sum.clone();
                for (int i = 0; i < mean.length; i++) {
                    mean[i] /= n;
                }
                assertClose("mean " + what, x.mean(false, axes).toArray(), mean, 1e-6, atol / n);
                assertClose("max " + what, x.max(true, axes).toArray(), NaiveRef.reduce(x, red, 1), 0, 0);
                assertClose("min " + what, x.min(false, axes).toArray(), NaiveRef.reduce(x, red, 2), 0, 0);
            }
        }
    }

    @Test
    void keepDimsShapesAndScalars() {
        Tensor x = Tensor.ones(2, 3, 4);
        assertArrayEquals(new int[] {}, x.sum().shape());
        assertEquals(24f, x.sum().item());
        assertEquals(1f, x.mean().item());
        assertArrayEquals(new int[] {2, 1, 4}, x.sum(true, 1).shape());
        assertArrayEquals(new int[] {2, 4}, x.sum(false, -2).shape());
        assertArrayEquals(new int[] {1, 1, 1}, x.max(true).shape());
        assertArrayEquals(new int[] {3}, x.min(false, 0, 2).shape());
        assertEquals(0f, Tensor.zeros(0, 3).sum().item());
        assertArrayEquals(new float[] {0, 0, 0}, Tensor.zeros(0, 3).sum(false, 0).toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.sum(false, 3));
        assertEquals("sum: axis 3 out of range for shape [2, 3, 4] (rank 3)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.max(false, 1, -2));
        assertEquals("max: axis -2 repeated in [1, -2] for shape [2, 3, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 0).max(false, 1));
        assertEquals("max: cannot reduce over an empty axis of shape [2, 0]", e.getMessage());
    }

    @Test
    void varianceIsThePopulationVariance() {
        Rng rng = new Rng(42);
        for (int[] shape : new int[][] {{9}, {4, 33}, {2, 3, 4, 5}, {3, 40000}}) {
            Tensor x = NaiveRef.random(rng, shape).add(10f); // an offset that punishes E[x^2] - E[x]^2
            for (int[] axes : subsets(shape.length)) {
                boolean[] red = redMask(shape.length, axes);
                int[] keep = keptShape(shape, red);
                int n = x.size() / Shapes.size(keep);
                double[] mean = NaiveRef.reduce(x, red, 0);
                double[] var = new double[mean.length];
                float[] xd = x.toArray();
                for (int i = 0; i < xd.length; i++) {
                    int j = NaiveRef.broadcastIndex(NaiveRef.unravel(i, shape), keep);
                    double d = xd[i] - mean[j] / n;
                    var[j] += d * d / n;
                }
                assertClose("variance " + Shapes.str(shape) + " " + java.util.Arrays.toString(axes),
                        x.variance(false, axes).toArray(), var, 1e-4, 1e-6);
            }
        }
    }

    @Test
    void logsumexpIsStable() {
        Rng rng = new Rng(43);
        for (int[] shape : new int[][] {{9}, {4, 33}, {2, 3, 4, 5}}) {
            Tensor x = NaiveRef.random(rng, shape).mul(60f); // e^120 overflows float
            for (int[] axes : subsets(shape.length)) {
                boolean[] red = redMask(shape.length, axes);
                int[] keep = keptShape(shape, red);
                double[] max = NaiveRef.reduce(x, red, 1);
                double[] s = new double[max.length];
                float[] xd = x.toArray();
                for (int i = 0; i < xd.length; i++) {
                    int j = NaiveRef.broadcastIndex(NaiveRef.unravel(i, shape), keep);
                    s[j] += Math.exp(xd[i] - max[j]);
                }
                for (int j = 0; j < s.length; j++) {
                    s[j] = max[j] + Math.log(s[j]);
                }
                Tensor got = x.logsumexp(true, axes);
                assertArrayEquals(keep, got.shape());
                assertClose("logsumexp " + Shapes.str(shape) + " " + java.util.Arrays.toString(axes), got.toArray(), s,
                        1e-6, 1e-5);
            }
        }
        float ninf = Float.NEGATIVE_INFINITY;
        Tensor edge = Tensor.of(new float[] {ninf, ninf, 0f, ninf, Float.POSITIVE_INFINITY, 1f}, 2, 3);
        assertArrayEquals(new float[] {0f, Float.POSITIVE_INFINITY}, edge.logsumexp(false, 1).toArray());
        assertArrayEquals(new float[] {ninf, ninf}, Tensor.full(ninf, 2, 3).logsumexp(false, 1).toArray());
        assertArrayEquals(new float[] {ninf, Float.POSITIVE_INFINITY, 1f + (float) Math.log1p(Math.exp(-1))},
                edge.logsumexp(false, 0).toArray(), 1e-6f);
    }

    @Test
    void argmaxAlongEachAxis() {
        Rng rng = new Rng(44);
        int[] shape = {3, 7, 9};
        Tensor x = NaiveRef.random(rng, shape);
        for (int axis = -3; axis < 3; axis++) {
            int ax = axis < 0 ? axis + 3 : axis;
            Tensor got = x.argmax(axis, true);
            int[] keep = shape.clone();
            keep[ax] = 1;
            assertArrayEquals(keep, got.shape());
            for (int j = 0; j < got.size(); j++) {
                int[] idx = NaiveRef.unravel(j, keep);
                int best = 0;
                for (int r = 1; r < shape[ax]; r++) {
                    int[] a = idx.clone(), b = idx.clone();
                    a[ax] = r;
                    b[ax] = best;
                    if (x.get(a) > x.get(b)) {
                        best = r;
                    }
                }
                assertEquals(best, got.toArray()[j], "argmax axis " + axis + " at " + j);
            }
            assertArrayEquals(got.toArray(), x.argmax(axis, false).toArray());
        }
    }

    @Test
    void blockedSumIsIndependentOfTheSplit() {
        float[] x = NaiveRef.random(new Rng(45), 1_000_003).toArray();
        int n = x.length - 3, blocks = (n + Reductions.BLOCK - 1) / Reductions.BLOCK;
        double whole = Reductions.blockedSum(x, 3, n);
        // emulate 1, 2, 3 and 7 threads: the same blocks in different contiguous chunks
        for (int chunks : new int[] {1, 2, 3, 7}) {
            double[] partial = new double[blocks];
            for (int c = 0; c < chunks; c++) {
                Reductions.blockSums(x, 3, n, blocks * c / chunks, blocks * (c + 1) / chunks, partial);
            }
            assertEquals(whole, Reductions.combine(partial), 0.0, "chunks " + chunks);
        }
        Tensor t = Tensor.wrap(x, 3, new int[] {n});
        assertEquals((float) whole, t.sum().item(), 0f);
        double exact = 0;
        for (int i = 3; i < x.length; i++) {
            exact += x[i];
        }
        assertEquals(exact, whole, 1e-6 * n);
    }
}
