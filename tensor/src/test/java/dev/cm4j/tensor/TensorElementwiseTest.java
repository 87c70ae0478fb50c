package dev.cm4j.tensor;

import static dev.cm4j.tensor.NaiveRef.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Tensor-level elementwise ops: every broadcasting pattern against an index-by-index reference. */
class TensorElementwiseTest {
    /** Pairs of shapes covering same shape, scalars, trailing vectors, per-channel, outer products and rank growth. */
    static final int[][][] PAIRS = {
        {{7}, {7}}, {{33, 9}, {33, 9}}, {{257}, {}}, {{}, {31}}, {{1}, {8, 9}}, {{4, 33}, {33}}, {{5, 7, 9}, {9}},
        {{2, 3, 4, 5}, {1, 3, 1, 1}}, {{2, 3, 4, 5}, {3, 1, 1}}, {{2, 16, 3, 3}, {2, 16, 1, 1}}, {{8, 1}, {1, 9}},
        {{31, 1}, {31, 17}}, {{1, 3, 1}, {2, 1, 5}}, {{2, 1, 4, 1}, {3, 1, 7}}, {{3, 1}, {1}}, {{1, 1}, {1, 1}},
        {{0, 3}, {3}}, {{70, 300}, {300}}, {{4, 3, 40, 40}, {1, 3, 1, 1}}, {{300, 257}, {300, 1}},
    };

    private static void checkBinary(String name, BiFunction<Tensor, Tensor, Tensor> f, DoubleBinaryOperator ref) {
        Rng rng = new Rng(31, name.hashCode());
        for (int[][] p : PAIRS) {
            Tensor a = NaiveRef.random(rng, p[0]), b = NaiveRef.random(rng, p[1]);
            int[] shape = Shapes.broadcast(name, p[0], p[1]);
            Tensor got = f.apply(a, b);
            assertArrayEquals(shape, got.shape(), name);
            double[] want = NaiveRef.binary(a, b, shape, ref);
            assertClose(name + " " + Shapes.str(p[0]) + " with " + Shapes.str(p[1]), got.toArray(), want, 1e-7, 0);
            // and the other way round
            Tensor back = f.apply(b, a);
            assertClose(name + " " + Shapes.str(p[1]) + " with " + Shapes.str(p[0]), back.toArray(),
                    NaiveRef.binary(b, a, shape, ref), 1e-7, 0);
        }
    }

    @Test
    void arithmeticBroadcasts() {
        checkBinary("add", Tensor::add, Double::sum);
        checkBinary("sub", Tensor::sub, (x, y) -> x - y);
        checkBinary("mul", Tensor::mul, (x, y) -> x * y);
        checkBinary("div", Tensor::div, (x, y) -> x / y);
        checkBinary("maximum", Tensor::maximum, Math::max);
        checkBinary("minimum", Tensor::minimum, Math::min);
        checkBinary("greater", Tensor::greater, (x, y) -> x > y ? 1 : 0);
        checkBinary("less", Tensor::less, (x, y) -> x < y ? 1 : 0);
    }

    @Test
    void scalarForms() {
        Tensor x = NaiveRef.random(new Rng(32), 3, 33);
        float[] d = x.toArray();
        float[][] got = {x.add(1.5f).toArray(), x.sub(1.5f).toArray(), x.mul(1.5f).toArray(), x.div(1.5f).toArray(),
            x.greater(0.25f).toArray(), x.less(0.25f).toArray()};
        for (int i = 0; i < d.length; i++) {
            assertEquals(d[i] + 1.5f, got[0][i]);
            assertEquals(d[i] - 1.5f, got[1][i]);
            assertEquals(d[i] * 1.5f, got[2][i]);
            assertEquals(d[i] / 1.5f, got[3][i]);
            assertEquals(d[i] > 0.25f ? 1f : 0f, got[4][i]);
            assertEquals(d[i] < 0.25f ? 1f : 0f, got[5][i]);
        }
    }

    @Test
    void incompatibleShapesNameTheOpAndBothShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.mul(b));
        assertEquals("mul: shapes [2, 3] and [4] cannot be broadcast (dimension 1: 3 vs 4)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3, 5).sub(Tensor.zeros(4, 1)));
        assertEquals("sub: shapes [2, 3, 5] and [4, 1] cannot be broadcast (dimension 1: 3 vs 4)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.where(Tensor.zeros(3), a, Tensor.zeros(4, 1)));
        assertEquals("where: shapes [2, 3] and [4, 1] cannot be broadcast (dimension 0: 2 vs 4)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3).addInPlace(Tensor.zeros(2, 3)));
        assertEquals("addInPlace: shape [2, 3] does not broadcast to [3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3).axpyInPlace(1f, Tensor.zeros(1, 3)));
        assertEquals("axpyInPlace: shapes [3] and [1, 3] differ", e.getMessage());
    }

    @Test
    void whereBroadcastsAllThree() {
        Rng rng = new Rng(33);
        int[][][] triples = {{{9}, {9}, {9}}, {{2, 1, 5}, {3, 1}, {}}, {{1, 4}, {3, 1}, {3, 4}}, {{6, 7}, {7}, {6, 1}}};
        for (int[][] t : triples) {
            Tensor c = NaiveRef.random(rng, t[0]).greater(0f), a = NaiveRef.random(rng, t[1]), b = NaiveRef.random(rng, t[2]);
            int[] shape = Shapes.broadcast("where", Shapes.broadcast("where", t[0], t[1]), t[2]);
            Tensor got = Tensor.where(c, a, b);
            assertArrayEquals(shape, got.shape());
            for (int i = 0; i < got.size(); i++) {
                int[] idx = NaiveRef.unravel(i, shape);
                float want = c.toArray()[NaiveRef.broadcastIndex(idx, t[0])] != 0
                        ? a.toArray()[NaiveRef.broadcastIndex(idx, t[1])] : b.toArray()[NaiveRef.broadcastIndex(idx, t[2])];
                assertEquals(want, got.toArray()[i], "where " + i);
            }
        }
    }

    private static void checkUnary(String name, Function<Tensor, Tensor> f, DoubleUnaryOperator ref, boolean positive,
                                   double rtol) {
        Rng rng = new Rng(34, name.hashCode());
        for (int[] shape : new int[][] {{}, {1}, {7}, {8}, {9}, {31}, {33}, {257}, {3, 5, 7}, {100, 1000}}) {
            Tensor x = NaiveRef.random(rng, shape);
            if (positive) {
                x = x.abs().add(1e-3f);
            }
            float[] xd = x.toArray();
            double[] want = new double[xd.length];
            for (int i = 0; i < xd.length; i++) {
                want[i] = ref.applyAsDouble(xd[i]);
            }
            Tensor got = f.apply(x);
            assertArrayEquals(shape, got.shape());
            assertClose(name + " " + Shapes.str(shape), got.toArray(), want, rtol, 1e-30);
        }
    }

    @Test
    void unaryOps() {
        checkUnary("neg", Tensor::neg, x -> -x, false, 0);
        checkUnary("abs", Tensor::abs, Math::abs, false, 0);
        checkUnary("sign", Tensor::sign, Math::signum, false, 0);
        checkUnary("square", Tensor::square, x -> x * x, false, 1e-7);
        checkUnary("sqrt", Tensor::sqrt, Math::sqrt, true, 1e-7);
        checkUnary("rsqrt", Tensor::rsqrt, x -> 1 / Math.sqrt(x), true, 2e-7);
        checkUnary("exp", Tensor::exp, Math::exp, false, 1e-6);
        checkUnary("log", Tensor::log, Math::log, true, 1e-6);
        checkUnary("tanh", Tensor::tanh, Math::tanh, false, 1e-6);
        checkUnary("sigmoid", Tensor::sigmoid, x -> 1 / (1 + Math.exp(-x)), false, 1e-6);
        checkUnary("silu", Tensor::silu, x -> x / (1 + Math.exp(-x)), false, 1e-6);
        checkUnary("pow", t -> t.pow(2.5f), x -> Math.pow(x, 2.5), true, 1e-6);
        checkUnary("clamp", t -> t.clamp(-0.5f, 1f), x -> Math.min(Math.max(x, -0.5), 1), false, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2).clamp(1f, 0f));
        assertEquals("clamp: lower bound 1.0 is not <= upper bound 0.0", e.getMessage());
    }

    @Test
    void inPlaceOpsWriteThroughViews() {
        Rng rng = new Rng(35);
        Tensor base = NaiveRef.random(rng, 4, 3, 5);
        float[] before = base.toArray();
        Tensor view = base.slice(0, 1, 3); // a view of rows 1..2
        Tensor bias = NaiveRef.random(rng, 5);
        assertSame(view, view.addInPlace(bias));
        float[] after = base.toArray();
        for (int i = 0; i < after.length; i++) {
            boolean inView = i >= 15 && i < 45;
            assertEquals(inView ? before[i] + bias.toArray()[i % 5] : before[i], after[i], "addInPlace " + i);
        }
        Tensor x = NaiveRef.random(rng, 1031), g = NaiveRef.random(rng, 1031);
        float[] xd = x.toArray(), gd = g.toArray();
        x.axpyInPlace(-0.1f, g);
        for (int i = 0; i < xd.length; i++) {
            assertEquals(xd[i] + -0.1f * gd[i], x.toArray()[i], "axpy " + i);
        }
        x.mulInPlace(2f).clampInPlace(-1f, 1f);
        for (int i = 0; i < xd.length; i++) {
            assertEquals(Math.min(Math.max((xd[i] + -0.1f * gd[i]) * 2f, -1f), 1f), x.toArray()[i], "mul+clamp " + i);
        }
        x.fill(3f);
        assertEquals(3f * 1031, x.sum().item(), 1e-3);
    }

    @Test
    void closenessHelpers() {
        Tensor a = Tensor.of(new float[] {1f, 2f, 3f}, 3);
        Tensor b = Tensor.of(new float[] {1f, 2.001f, 3f}, 3);
        assertEquals(0.001f, a.maxAbsDiff(b), 1e-6);
        assertTrue(a.allClose(b, 1e-3f, 0f));
        assertFalse(a.allClose(b, 1e-4f, 0f));
        assertTrue(a.allClose(b, 0f, 0.0011f));
        Tensor nan = Tensor.of(new float[] {1f, Float.NaN, 3f}, 3);
        assertFalse(a.allClose(nan, 1f, 1f));
        assertTrue(Float.isNaN(a.maxAbsDiff(nan)));
    }
}
