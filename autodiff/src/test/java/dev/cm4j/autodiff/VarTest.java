package dev.cm4j.autodiff;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.SiluGrad;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tape's mechanics: accumulation, no-grad, detach, broadcasting, freeing the graph. */
class VarTest {

    @Test
    void microgradExpressionHasHandComputedGradients() {
        // f = (a*b + b^2) / a with a = 2, b = -3: df/da = -b^2/a^2 = -9/4, df/db = 1 + 2b/a = -2
        Var a = Var.param(Tensor.scalar(2f));
        Var b = Var.param(Tensor.scalar(-3f));
        Var f = a.mul(b).add(b.square()).div(a);
        assertEquals(1.5f, f.item(), 1e-6);
        f.backward();
        assertEquals(-2.25f, a.grad().item(), 1e-6);
        assertEquals(-2f, b.grad().item(), 1e-6);
    }

    /**
     * silu's backward is the fused kernel, bit for bit, so the kernel's thread-count invariance
     * (SiluGradDeterminismTest in tensor) holds for the graph too. Odd length: a remainder past every SIMD width.
     */
    @Test
    void siluBackwardIsTheFusedKernel() {
        int n = 49_157;
        float[] x = new Rng(1).uniform(-12f, 12f, n).toArray();
        float[] g = new Rng(2).normal(n).toArray();
        float[] dx = new float[n];
        SiluGrad.apply(g, 0, x, 0, dx, 0, n);
        Var v = Var.param(Tensor.of(x, n));
        v.silu().mul(Var.constant(Tensor.of(g, n))).sum().backward();
        float[] grad = v.grad().toArray();
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(dx[i]), Float.floatToRawIntBits(grad[i]),
                    "element " + i + " (x = " + x[i] + "): graph " + grad[i] + " vs kernel " + dx[i]);
        }
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Var w = Var.param(Tensor.of(new float[] {1, 2, 3}, 3));
        Tensor x = Tensor.of(new float[] {4, 5, 6}, 3);
        w.mul(Var.constant(x)).sum().backward();
        w.mul(Var.constant(x)).sum().backward();
        assertArrayEquals(new float[] {8, 10, 12}, w.grad().toArray());
        w.zeroGrad();
        assertNull(w.grad());
        w.mul(Var.constant(x)).sum().backward();
        assertArrayEquals(new float[] {4, 5, 6}, w.grad().toArray());
    }

    @Test
    void valueUsedTwiceGetsBothContributions() {
        // y = x + x: one tensor reaches x twice, the gradient must be 2 and must not alias the seed
        Var x = Var.param(Tensor.of(new float[] {1, -1}, 2));
        Var y = x.add(x);
        Tensor seed = Tensor.of(new float[] {1, 1}, 2);
        y.backward(seed);
        assertArrayEquals(new float[] {2, 2}, x.grad().toArray());
        assertArrayEquals(new float[] {1, 1}, seed.toArray(), "the seed must not be modified");
    }

    @Test
    void leafGradientDoesNotAliasAnotherLeafs() {
        // add passes the same gradient tensor to both inputs; scaling one leaf's grad must not touch the other
        Var a = Var.param(Tensor.of(new float[] {1, 2}, 2));
        Var b = Var.param(Tensor.of(new float[] {3, 4}, 2));
        a.add(b).sum().backward();
        assertNotSame(a.grad(), b.grad());
        a.grad().mulInPlace(10f);
        assertArrayEquals(new float[] {1, 1}, b.grad().toArray());
    }

    @Test
    void leafGradientDoesNotAliasTheSeed() {
        Var x = Var.param(Tensor.zeros(2));
        Tensor seed = Tensor.of(new float[] {1, 2}, 2);
        x.backward(seed);
        seed.fill(0f);
        assertArrayEquals(new float[] {1, 2}, x.grad().toArray());
        x.reshape(2).backward(Tensor.of(new float[] {1, 1}, 2));
        assertArrayEquals(new float[] {2, 3}, x.grad().toArray(), "accumulated into its own tensor");
    }

    @Test
    void broadcastInputGetsGradientSummedToItsShape() {
        Var x = Var.param(Tensor.ones(2, 3));
        Var bias = Var.param(Tensor.of(new float[] {1, 2, 3}, 3));
        x.add(bias).sum().backward();
        assertArrayEquals(new int[] {3}, bias.grad().shape());
        assertArrayEquals(new float[] {2, 2, 2}, bias.grad().toArray());
    }

    @Test
    void noGradScopeRecordsNothingAndNests() {
        Var w = Var.param(Tensor.ones(3));
        try (NoGrad outer = NoGrad.enter()) {
            try (NoGrad inner = NoGrad.enter()) {
                assertFalse(w.mul(2f).requiresGrad());
            }
            assertTrue(NoGrad.active(), "closing the inner scope must keep the outer one");
            Var y = w.mul(2f).sum();
            assertFalse(y.requiresGrad());
            assertThrows(IllegalStateException.class, y::backward);
        }
        assertFalse(NoGrad.active());
        assertTrue(w.mul(2f).requiresGrad());
    }

    @Test
    void detachStopsTheGradient() {
        Var x = Var.param(Tensor.of(new float[] {3}, 1));
        // y = x * stopgrad(x): dy/dx = stopgrad(x) = 3
        x.mul(x.detach()).sum().backward();
        assertEquals(3f, x.grad().item());
    }

    @Test
    void secondBackwardThroughAFreedGraphThrows() {
        Var x = Var.param(Tensor.ones(2));
        Var h = x.exp();
        h.sum().backward();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> h.mul(2f).sum().backward());
        assertTrue(e.getMessage().contains("already freed"), e.getMessage());
    }

    @Test
    void backwardOfNonScalarNeedsASeed() {
        Var x = Var.param(Tensor.ones(2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.mul(2f).backward());
        assertTrue(e.getMessage().contains("[2, 2]"), e.getMessage());
    }

    @Test
    void deepChainDoesNotOverflowTheStack() {
        Var x = Var.param(Tensor.scalar(1f));
        Var y = x;
        for (int i = 0; i < 100_000; i++) {
            y = y.add(0f);
        }
        y.backward();
        assertEquals(1f, x.grad().item());
    }

    @Test
    void backwardFreesTheGraphAndALongLoopKeepsNoIntermediates() {
        Rng rng = new Rng(7);
        Var w1 = Var.param(rng.normal(8, 4));
        Var w2 = Var.param(rng.normal(1, 8));
        Tensor x = rng.normal(16, 4);
        long before = Var.liveGraphNodes();
        List<WeakReference<Var>> hidden = new ArrayList<>();
        List<WeakReference<Tensor>> buffers = new ArrayList<>();
        for (int step = 0; step < 300; step++) {
            Var h = LinearOps.linear(Var.constant(x), w1, null).silu();
            hidden.add(new WeakReference<>(h));
            buffers.add(new WeakReference<>(h.value()));
            Var loss = LinearOps.linear(h, w2, null).square().mean();
            loss.backward();
            assertEquals(before, Var.liveGraphNodes(), "recorded nodes left after backward at step " + step);
            // plain SGD so the weights change and nothing is reused
            w1.value().axpyInPlace(-1e-3f, w1.grad());
            w2.value().axpyInPlace(-1e-3f, w2.grad());
            w1.zeroGrad();
            w2.zeroGrad();
        }
        // the parameters hold no reference into any step's graph: every activation can be collected
        for (int attempt = 0; attempt < 10 && countAlive(buffers) > 0; attempt++) {
            System.gc();
        }
        assertEquals(0, countAlive(hidden), "activations reachable after backward");
        assertEquals(0, countAlive(buffers), "activation buffers reachable after backward");
    }

    private static int countAlive(List<? extends WeakReference<?>> refs) {
        int n = 0;
        for (WeakReference<?> r : refs) {
            if (r.get() != null) {
                n++;
            }
        }
        return n;
    }

    @Test
    void errorsNameTheOpAndShapes() {
        Var a = Var.param(Tensor.ones(2, 3));
        Var b = Var.param(Tensor.ones(4, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinearOps.matmul(a, b, false, false));
        assertTrue(e.getMessage().startsWith("matmul:") && e.getMessage().contains("[2, 3]")
                && e.getMessage().contains("[4, 3]"), e.getMessage());
        IllegalArgumentException l = assertThrows(IllegalArgumentException.class,
                () -> LinearOps.linear(a, Var.param(Tensor.ones(5, 4)), null));
        assertEquals("linear: input [2, 3] does not match weight [5, 4] (expected (..., 4))", l.getMessage());
    }

    @Test
    void writingASavedValueInPlaceBeforeBackwardIsRefused() {
        // an optimizer step between forward and backward: w is read by mul's backward rule
        Var w = Var.param(Tensor.of(new float[] {1, 2, 3}, 3));
        Var x = Var.param(Tensor.of(new float[] {4, 5, 6}, 3));
        Var loss = w.mul(x).sum();
        w.value().axpyInPlace(-0.1f, Tensor.ones(3));
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertEquals("backward of mul: an input of shape [3] was modified in place after the forward pass"
                + " (version 0 -> 1)", e.getMessage());
        assertNull(x.grad(), "nothing accumulated by a refused pass");

        // a raw write through data() counts once it is marked, and a view shares its base's counter
        Var v = Var.param(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        Var y = v.exp().sum();
        v.value().reshape(4).data()[0] = 5f;
        v.value().reshape(4).markModified();
        e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().startsWith("backward of exp: an input of shape [2, 2] was modified"), e.getMessage());

        // an op's own output, read by its rule (exp: dx = g y), is checked too
        Var z = Var.param(Tensor.of(new float[] {0.5f}, 1));
        Var ez = z.exp();
        Var out = ez.mul(Var.scalar(2f)).sum();
        ez.value().fill(0f);
        e = assertThrows(IllegalStateException.class, out::backward);
        assertTrue(e.getMessage().startsWith("backward of exp: its output of shape [1]"), e.getMessage());

        // writes after backward (the normal optimizer step) are fine: the next forward records the new version
        Var loss2 = w.mul(x).sum();
        loss2.backward();
        w.value().fill(1f);
        w.mul(x).sum().backward();
        assertArrayEquals(new float[] {8, 10, 12}, w.grad().toArray());
    }

    @Test
    void powGradientAtZeroFollowsPyTorch() {
        Tensor zero = Tensor.of(new float[] {0f, 2f}, 2);
        float[][] expect = {{0f, 0f}, {1f, 1f}, {0f, 4f}, {0f, 12f}, {Float.POSITIVE_INFINITY, 0.35355338f}};
        float[] ps = {0f, 1f, 2f, 3f, 0.5f};
        for (int i = 0; i < ps.length; i++) {
            Var x = Var.param(zero.copy());
            x.pow(ps[i]).sum().backward();
            assertArrayEquals(expect[i], x.grad().toArray(), 1e-6f, "d/dx x^" + ps[i] + " at 0 and 2");
        }
    }
}
