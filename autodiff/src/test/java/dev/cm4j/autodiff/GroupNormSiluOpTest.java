package dev.cm4j.autodiff;

import static org.junit.jupiter.api.Assertions.fail;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link NormOps#groupNormSilu}, one node, against the composition it replaces:
 * {@code groupNorm(x).mul(scale.add(1)).add(shift).silu()} (or {@code groupNorm(x).silu()}), values and the gradients
 * of every input, at the U-Net's plane sizes and at odd ones. The two differ by float rounding only.
 */
class GroupNormSiluOpTest {
    private static final float EPS = 1e-5f;
    /** (n, c, h, w, groups). */
    private static final int[][] SHAPES = {
            {2, 32, 28, 28, 8}, {3, 64, 14, 14, 8}, {2, 64, 7, 7, 32}, {4, 20, 1, 1, 4}, {1, 6, 5, 3, 3},
            {2, 24, 9, 9, 8}};

    /** The output and the gradients of (x, gamma, beta[, scale, shift]) under a seeded loss sum(y * r). */
    private static List<float[]> run(List<Tensor> inputs, int groups, boolean fused) {
        List<Var> p = new ArrayList<>();
        for (Tensor t : inputs) {
            p.add(Var.param(t.copy()));
        }
        Var scale = p.size() > 3 ? p.get(3) : null;
        Var shift = p.size() > 3 ? p.get(4) : null;
        Var y;
        if (fused) {
            y = NormOps.groupNormSilu(p.get(0), p.get(1), p.get(2), scale, shift, groups, EPS);
        } else {
            Var h = NormOps.groupNorm(p.get(0), p.get(1), p.get(2), groups, EPS);
            if (scale != null) {
                int[] s4 = {h.dim(0), h.dim(1), 1, 1};
                h = h.mul(scale.reshape(s4).add(1f)).add(shift.reshape(s4));
            }
            y = h.silu();
        }
        float[] out = y.value().toArray();
        y.mul(Var.constant(new Rng(77).normal(y.shape()))).sum().backward();
        List<float[]> r = new ArrayList<>();
        r.add(out);
        for (Var v : p) {
            r.add(v.grad().toArray());
        }
        return r;
    }

    private static void compare(String what, List<float[]> expected, List<float[]> actual) {
        String[] names = {"y", "dx", "dgamma", "dbeta", "dscale", "dshift"};
        for (int i = 0; i < expected.size(); i++) {
            float[] e = expected.get(i), a = actual.get(i);
            double scale = 0, worst = 0;
            for (int j = 0; j < e.length; j++) {
                scale = Math.max(scale, Math.abs(e[j]));
                worst = Math.max(worst, Math.abs((double) e[j] - a[j]));
            }
            // float rounding of sums over up to n*h*w terms, relative to the largest value
            if (!(worst <= 2e-5 * (1 + scale))) {
                fail(what + " " + names[i] + ": max |fused - unfused| " + worst + " for max |unfused| " + scale);
            }
        }
    }

    private static void check(Function<int[], List<Tensor>> inputs) {
        for (int[] sh : SHAPES) {
            List<Tensor> in = inputs.apply(sh);
            String what = "groupNormSilu (" + sh[0] + "," + sh[1] + "," + sh[2] + "," + sh[3] + ") groups " + sh[4]
                    + (in.size() > 3 ? " scale-shift" : "");
            compare(what, run(in, sh[4], false), run(in, sh[4], true));
        }
    }

    @Test
    void matchesGroupNormThenSilu() {
        check(sh -> {
            Rng rng = new Rng(sh[1]);
            return List.of(rng.normal(sh[0], sh[1], sh[2], sh[3]).mul(2f).add(1f), rng.normal(sh[1]),
                    rng.normal(sh[1]));
        });
    }

    @Test
    void matchesGroupNormScaleShiftThenSilu() {
        check(sh -> {
            Rng rng = new Rng(sh[1] + 1);
            return List.of(rng.normal(sh[0], sh[1], sh[2], sh[3]).mul(2f).add(1f), rng.normal(sh[1]),
                    rng.normal(sh[1]), rng.normal(sh[0], sh[1]).mul(0.5f), rng.normal(sh[0], sh[1]));
        });
    }
}
