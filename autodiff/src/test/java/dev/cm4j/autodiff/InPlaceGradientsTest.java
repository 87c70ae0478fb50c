package dev.cm4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Rules that adopt and overwrite gradients made for them alone ({@link InPlaceBackward}) against the same graphs with
 * {@link Var#inPlaceGradients} off, where every rule allocates: the gradients must be the same bits. The graphs fan
 * values out (one tensor handed to several inputs, a value used twice, broadcast inputs), the cases where an
 * overwritten tensor would still be read by another rule.
 */
class InPlaceGradientsTest {
    /** Runs {@code loss} on fresh copies of {@code inputs} with the switch as given; returns each input's gradient. */
    private static List<float[]> gradients(boolean inPlace, List<Tensor> inputs, Function<List<Var>, Var> loss) {
        boolean before = Var.inPlaceGradients;
        Var.inPlaceGradients = inPlace;
        try {
            List<Var> params = new ArrayList<>();
            for (Tensor t : inputs) {
                params.add(Var.param(t.copy()));
            }
            loss.apply(params).backward();
            List<float[]> out = new ArrayList<>();
            for (Var p : params) {
                out.add(p.grad() == null ? null : p.grad().toArray());
            }
            return out;
        } finally {
            Var.inPlaceGradients = before;
        }
    }

    private static void assertSameBits(String what, List<Tensor> inputs, Function<List<Var>, Var> loss) {
        List<float[]> copying = gradients(false, inputs, loss);
        List<float[]> inPlace = gradients(true, inputs, loss);
        for (int i = 0; i < copying.size(); i++) {
            float[] a = copying.get(i), b = inPlace.get(i);
            if (a == null || b == null) {
                assertEquals(a == null, b == null, what + ": input " + i + " has a gradient in one run only");
                continue;
            }
            for (int j = 0; j < a.length; j++) {
                assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), what + ": input " + i
                        + " element " + j + ": copying " + a[j] + " vs in place " + b[j] + ", max |diff| "
                        + maxDiff(a, b));
            }
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    @Test
    void residualBlockWithFusedNormActivations() {
        // the block below with GroupNorm -> SiLU and GroupNorm -> scale-shift -> SiLU each as one fused node (8x8
        // planes: the plain one is fused only where its rows fill whole vectors)
        Rng rng = new Rng(6);
        List<Tensor> in = List.of(rng.normal(2, 8, 8, 8), rng.normal(8, 8, 3, 3).mul(0.2f), rng.normal(8),
                rng.normal(8).add(1f), rng.normal(8), rng.normal(2, 8, 1, 1), rng.normal(2, 8, 1, 1),
                rng.normal(8, 8, 3, 3).mul(0.2f));
        assertSameBits("fused residual block", in, p -> {
            Var x = p.get(0);
            Var h = NormOps.groupNormSilu(x, p.get(3), p.get(4), null, null, 4, 1e-5f);
            h = ConvOps.conv2d(h, p.get(1), p.get(2), 1, 1);
            h = NormOps.groupNormSilu(h, p.get(3), p.get(4), p.get(5), p.get(6), 2, 1e-5f);
            return x.add(ConvOps.conv2d(h, p.get(7), null, 1, 1)).square().sum();
        });
    }

    @Test
    void residualBlockWithScaleShiftAndConcat() {
        // x (2,8,6,6) -> GN, SiLU, conv -> GN (1 + scale) + shift, SiLU, conv, + x; concat with x, conv, SiLU, sum
        Rng rng = new Rng(5);
        List<Tensor> in = List.of(rng.normal(2, 8, 6, 6), rng.normal(8, 8, 3, 3).mul(0.2f), rng.normal(8),
                rng.normal(8).add(1f), rng.normal(8), rng.normal(2, 8, 1, 1), rng.normal(2, 8, 1, 1),
                rng.normal(8, 8, 3, 3).mul(0.2f), rng.normal(4, 16, 1, 1).mul(0.3f));
        assertSameBits("residual block", in, p -> {
            Var x = p.get(0);
            Var h = ConvOps.conv2d(NormOps.groupNorm(x, p.get(3), p.get(4), 4, 1e-5f).silu(), p.get(1), p.get(2), 1, 1);
            h = NormOps.groupNorm(h, p.get(3), p.get(4), 2, 1e-5f).mul(p.get(5).add(1f)).add(p.get(6)).silu();
            h = x.add(ConvOps.conv2d(h, p.get(7), null, 1, 1));
            Var cat = ShapeOps.concat(1, h, x);
            return ConvOps.conv2d(cat, p.get(8), null, 1, 0).silu().square().sum();
        });
    }

    @Test
    void fanOutsAndValuesUsedTwice() {
        Rng rng = new Rng(6);
        List<Tensor> in = List.of(rng.normal(3, 5), rng.normal(5), rng.normal(3, 5));
        // one tensor handed to both inputs of add, then overwritable by each SiLU
        assertSameBits("add of two SiLUs", in, p -> p.get(0).silu().add(p.get(2).silu()).silu().sum());
        // the same value on both sides of add and mul
        assertSameBits("x + x, x * x", in, p -> {
            Var s = p.get(0).silu();
            return s.add(s).silu().mul(s.mul(s)).sum();
        });
        // a broadcast input: only the unbroadcast side may adopt g
        assertSameBits("broadcast add and mul", in, p -> {
            Var h = p.get(0).add(p.get(1)).silu();
            return h.mul(p.get(1)).add(p.get(1)).silu().add(h).sum();
        });
        // a value consumed by three ops, its gradient absorbing shared and owned contributions in turn
        assertSameBits("three consumers", in, p -> {
            Var s = p.get(0).mul(p.get(2));
            return s.add(s.silu()).add(s.mul(p.get(1))).silu().sum();
        });
    }

    @Test
    void theSeedAndRetainedLeafGradientsAreNotOverwritten() {
        Rng rng = new Rng(7);
        Tensor seed = rng.normal(4, 6);
        float[] seedBefore = seed.toArray();
        Var x = Var.param(rng.normal(4, 6));
        Var y = x.silu();
        // the seed reaches SiLU's rule shared: SiLU must allocate
        y.backward(seed);
        assertArrayEquals(seedBefore, seed.toArray(), "seed after backward");
        float[] first = x.grad().toArray();
        Tensor kept = x.grad();
        // a second pass accumulates into the leaf's own gradient
        x.silu().backward(seed);
        assertNotSame(seed, x.grad());
        float[] twice = x.grad().toArray();
        for (int i = 0; i < first.length; i++) {
            assertEquals(first[i] + first[i], twice[i], "element " + i);
        }
        assertEquals(kept, x.grad());
    }
}
