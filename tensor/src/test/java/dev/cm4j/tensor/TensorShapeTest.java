package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Shape ops: element placement against multi-index references, and which results are views. */
class TensorShapeTest {
    @Test
    void squeezeUnsqueezeFlattenAreViews() {
        Tensor x = Tensor.arange(6).reshape(2, 1, 3);
        assertArrayEquals(new int[] {2, 3}, x.squeeze(1).shape());
        assertArrayEquals(new int[] {2, 3}, x.squeeze(-2).shape());
        assertArrayEquals(new int[] {1, 2, 1, 3}, x.unsqueeze(0).shape());
        assertArrayEquals(new int[] {2, 1, 3, 1}, x.unsqueeze(-1).shape());
        assertArrayEquals(new int[] {6}, x.flatten().shape());
        assertSame(x.data(), x.squeeze(1).data());
        assertSame(x.data(), x.unsqueeze(3).data());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.squeeze(0));
        assertEquals("squeeze: axis 0 of shape [2, 1, 3] has size 2, not 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.unsqueeze(5));
        assertEquals("unsqueeze: axis 5 out of range for rank 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.dim(3));
        assertEquals("Tensor.dim: axis 3 out of range for shape [2, 1, 3] (rank 3)", e.getMessage());
        // the negative-dimension error names the op
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, -1));
        assertEquals("Tensor.zeros: negative dimension in shape [2, -1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.full(1f, -3));
        assertEquals("Tensor.full: negative dimension in shape [-3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Shapes.size("conv2d", 4, -2));
        assertEquals("conv2d: negative dimension in shape [4, -2]", e.getMessage());
    }

    @Test
    void viewsShareTheVersionCounterAndEveryInPlaceWriteAdvancesIt() {
        Tensor x = Tensor.zeros(2, 3);
        Tensor view = x.reshape(3, 2).slice(0, 0, 1).flatten().unsqueeze(0).squeeze(0);
        assertEquals(0, view.version());
        int v = 0;
        Runnable[] writes = {() -> x.fill(1f), () -> x.set(2f, 0, 1), () -> x.copyFrom(Tensor.ones(6)),
            () -> x.addInPlace(Tensor.ones(3)), () -> x.mulInPlace(2f), () -> x.axpyInPlace(1f, Tensor.ones(2, 3)),
            () -> x.clampInPlace(0f, 1f), () -> view.fill(3f), x::markModified};
        for (Runnable w : writes) {
            w.run();
            v++;
            assertEquals(v, x.version());
            assertEquals(v, view.version(), "a view sees its base's writes");
        }
        // out-of-place ops leave it alone, and a copy starts its own counter
        x.add(1f).exp();
        assertEquals(v, x.version());
        assertEquals(0, x.copy().version());
    }

    /** All permutations of 0..n-1. */
    static java.util.List<int[]> permutations(int n) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        if (n == 0) {
            out.add(new int[0]);
            return out;
        }
        for (int[] q : permutations(n - 1)) {
            for (int at = 0; at < n; at++) {
                int[] p = new int[n];
                for (int d = 0, k = 0; d < n; d++) {
                    p[d] = d == at ? n - 1 : q[k++];
                }
                out.add(p);
            }
        }
        return out;
    }

    @Test
    void permuteMatchesIndexMapping() {
        Rng rng = new Rng(51);
        // size-1 axes, tiles with remainders (37, 70 > 32), and axes that merge
        int[][] shapes = {{2, 3, 4, 5}, {3, 37, 70}, {2, 1, 33, 5}, {1, 1, 7}, {40, 1, 1, 33}, {5, 1}};
        for (int[] shape : shapes) {
            Tensor x = NaiveRef.random(rng, shape);
            int rank = shape.length;
            for (int[] p : permutations(rank)) {
                Tensor y = x.permute(p);
                float[] yd = y.toArray();
                for (int i = 0; i < y.size(); i++) {
                    int[] o = NaiveRef.unravel(i, y.shape());
                    int[] src = new int[rank];
                    for (int d = 0; d < rank; d++) {
                        src[p[d]] = o[d];
                    }
                    if (x.get(src) != yd[i]) {
                        throw new AssertionError("permute " + Shapes.str(shape) + " by " + java.util.Arrays.toString(p)
                                + " at " + java.util.Arrays.toString(o));
                    }
                }
            }
        }
        Tensor x = NaiveRef.random(rng, 2, 3, 4, 5);
        Tensor m = NaiveRef.random(rng, 33, 9);
        Tensor t = m.transpose(0, -1);
        assertArrayEquals(new int[] {9, 33}, t.shape());
        assertEquals(m.get(5, 7), t.get(7, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.permute(0, 1, 1, 2));
        assertEquals("permute: axes [0, 1, 1, 2] are not a permutation for shape [2, 3, 4, 5]", e.getMessage());
    }

    @Test
    void sliceIsAViewOnlyWhenContiguous() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        Tensor lead = x.slice(0, 1, 2);
        assertSame(x.data(), lead.data());
        assertEquals(12, lead.offset());
        Tensor inner = x.reshape(1, 6, 4).slice(1, 2, 5);
        assertSame(x.data(), inner.data()); // leading axes of size 1: still contiguous
        assertArrayEquals(new float[] {8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, inner.toArray());
        Tensor mid = x.slice(1, 1, 3);
        assertNotSame(x.data(), mid.data());
        assertArrayEquals(new int[] {2, 2, 4}, mid.shape());
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23}, mid.toArray());
        Tensor last = x.slice(-1, 3, 4);
        assertArrayEquals(new float[] {3, 7, 11, 15, 19, 23}, last.toArray());
        mid.set(-1f, 0, 0, 0);
        assertEquals(4f, x.get(0, 1, 0)); // a copy does not write through
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.slice(2, 3, 5));
        assertEquals("slice: range [3, 5) out of bounds for axis 2 of shape [2, 3, 4]", e.getMessage());
    }

    @Test
    void concatAndStack() {
        Tensor a = Tensor.arange(6).reshape(2, 3), b = Tensor.arange(6, 10, 1).reshape(2, 2);
        Tensor c = Tensor.concat(1, a, b);
        assertArrayEquals(new int[] {2, 5}, c.shape());
        assertArrayEquals(new float[] {0, 1, 2, 6, 7, 3, 4, 5, 8, 9}, c.toArray());
        Tensor r = Tensor.concat(0, a, a.add(-10f));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, -10, -9, -8, -7, -6, -5}, r.toArray());
        Tensor s = Tensor.stack(1, a, a.add(10f));
        assertArrayEquals(new int[] {2, 2, 3}, s.shape());
        assertArrayEquals(new float[] {0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15}, s.toArray());
        Tensor s2 = Tensor.stack(-1, a, a.add(10f));
        assertArrayEquals(new int[] {2, 3, 2}, s2.shape());
        assertArrayEquals(new float[] {0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}, s2.toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.concat(0, a, b));
        assertEquals("concat: shape [2, 2] does not match [2, 3] outside axis 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.stack(0, a, b));
        assertEquals("stack: shape [2, 2] differs from [2, 3]", e.getMessage());
    }

    @Test
    void padPlacesTheInputAndFillsTheRest() {
        Tensor x = Tensor.arange(1, 7, 1).reshape(1, 2, 3);
        Tensor p = x.pad(new int[] {0, 1, 2}, new int[] {1, 0, 1}, -1f);
        assertArrayEquals(new int[] {2, 3, 6}, p.shape());
        for (int i = 0; i < p.size(); i++) {
            int[] o = NaiveRef.unravel(i, p.shape());
            boolean inside = o[0] == 0 && o[1] >= 1 && o[2] >= 2 && o[2] < 5;
            assertEquals(inside ? x.get(0, o[1] - 1, o[2] - 2) : -1f, p.toArray()[i], java.util.Arrays.toString(o));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> x.pad(new int[] {0, 1}, new int[] {0, 1}, 0f));
        assertEquals("pad: before [0, 1] and after [0, 1] need one entry per axis of shape [1, 2, 3]", e.getMessage());
    }

    @Test
    void broadcastToAndSumToAreAdjoint() {
        Rng rng = new Rng(52);
        int[][][] pairs = {{{3}, {4, 3}}, {{1, 3, 1, 1}, {2, 3, 4, 5}}, {{5, 1}, {2, 5, 7}}, {{}, {3, 2}}, {{2, 3}, {2, 3}}};
        for (int[][] p : pairs) {
            Tensor x = NaiveRef.random(rng, p[0]);
            Tensor y = x.broadcastTo(p[1]);
            assertArrayEquals(p[1], y.shape());
            for (int i = 0; i < y.size(); i++) {
                assertEquals(x.toArray()[NaiveRef.broadcastIndex(NaiveRef.unravel(i, p[1]), p[0])], y.toArray()[i]);
            }
            // <broadcast(x), g> == <x, sumTo(g)> for any g: the defining property of the adjoint
            Tensor g = NaiveRef.random(rng, p[1]);
            Tensor s = g.sumTo(p[0]);
            assertArrayEquals(p[0], s.shape());
            double lhs = 0, rhs = 0;
            for (int i = 0; i < y.size(); i++) {
                lhs += (double) y.toArray()[i] * g.toArray()[i];
            }
            for (int i = 0; i < x.size(); i++) {
                rhs += (double) x.toArray()[i] * s.toArray()[i];
            }
            assertEquals(lhs, rhs, 1e-4 * (1 + Math.abs(lhs)), Shapes.str(p[0]) + " -> " + Shapes.str(p[1]));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3).broadcastTo(3, 3));
        assertEquals("broadcastTo: shapes [2, 3] and [3, 3] cannot be broadcast (dimension 0: 2 vs 3)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(3).broadcastTo(1, 1));
        assertEquals("broadcastTo: shape [3] cannot be broadcast to [1, 1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(4, 3).sumTo(2, 3));
        assertEquals("sumTo: shape [4, 3] is not a broadcast of [2, 3]", e.getMessage());
    }

    @Test
    void everyOpReadsAViewAtItsOffset() {
        Rng rng = new Rng(53);
        Tensor base = NaiveRef.random(rng, 5, 3, 9);
        Tensor view = base.slice(0, 2, 4); // offset 54 into the shared array
        Tensor copy = view.copy();
        assertEquals(54, view.offset());
        Tensor other = NaiveRef.random(rng, 3, 9);
        Tensor[][] pairs = {
            {view.add(other), copy.add(other)}, {other.sub(view), other.sub(copy)}, {view.mul(2f), copy.mul(2f)},
            {view.exp(), copy.exp()}, {view.sum(false, 1), copy.sum(false, 1)}, {view.max(true), copy.max(true)},
            {view.sum(), copy.sum()}, {view.permute(2, 0, 1), copy.permute(2, 0, 1)},
            {view.slice(1, 1, 2), copy.slice(1, 1, 2)}, {view.pad(new int[] {1, 0, 0}, new int[] {0, 0, 1}, 0f),
                copy.pad(new int[] {1, 0, 0}, new int[] {0, 0, 1}, 0f)}, {Tensor.concat(0, view, other.unsqueeze(0)),
                Tensor.concat(0, copy, other.unsqueeze(0))}, {view.broadcastTo(3, 2, 3, 9), copy.broadcastTo(3, 2, 3, 9)},
            {view.sumTo(3, 1), copy.sumTo(3, 1)}, {Tensor.where(view, other, view), Tensor.where(copy, other, copy)},
            {view.argmax(2, false), copy.argmax(2, false)}, {view.logsumexp(false, 0), copy.logsumexp(false, 0)},
        };
        for (int k = 0; k < pairs.length; k++) {
            assertArrayEquals(pairs[k][1].shape(), pairs[k][0].shape(), "op " + k);
            assertArrayEquals(pairs[k][1].toArray(), pairs[k][0].toArray(), "op " + k);
        }
    }
}
