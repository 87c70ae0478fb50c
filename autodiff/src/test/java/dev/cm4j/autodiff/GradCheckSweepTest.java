package dev.cm4j.autodiff;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.autodiff.GradCheckTest.Case;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Shapes;
import dev.cm4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The main op families on random shapes drawn from a fixed seed, on top of the fixed cases of {@link GradCheckTest}
 * and with its tolerances: elementwise ops with random broadcasting, reductions over random axis sets, matmul with
 * random sizes, transposes and broadcast batch axes, conv2d with random kernel, stride and padding, group norm and
 * multi-head attention. Sizes stay small (1 to 7) so that sizes of 1 and odd extents come up often.
 */
class GradCheckSweepTest {
    private static final double ATOL = 2e-4;
    private static final double RTOL = 2e-3;
    private static final int PER_FAMILY = 6;
    private static final int MAX_PER_INPUT = 30;

    static Stream<Case> cases() {
        Rng rng = new Rng(2024);
        List<Case> cs = new ArrayList<>();
        for (int i = 0; i < PER_FAMILY; i++) {
            elementwise(cs, rng);
            reduction(cs, rng);
            matmul(cs, rng);
            conv(cs, rng);
            groupNorm(cs, rng);
            attention(cs, rng);
        }
        return cs.stream();
    }

    private static int between(Rng rng, int lo, int hi) {
        return lo + rng.nextInt(hi - lo + 1);
    }

    private static int[] randomShape(Rng rng, int minRank, int maxRank) {
        int[] s = new int[between(rng, minRank, maxRank)];
        for (int d = 0; d < s.length; d++) {
            s[d] = between(rng, 1, 5);
        }
        return s;
    }

    /** A shape that broadcasts against {@code s}: some trailing axes kept, each kept one either itself or 1. */
    private static int[] broadcastPartner(Rng rng, int[] s) {
        int[] b = Arrays.copyOfRange(s, rng.nextInt(s.length + 1), s.length);
        for (int d = 0; d < b.length; d++) {
            if (rng.nextDouble() < 0.4) {
                b[d] = 1;
            }
        }
        return b;
    }

    private static String str(int[]... shapes) {
        StringBuilder sb = new StringBuilder();
        for (int[] s : shapes) {
            sb.append(sb.isEmpty() ? "" : ",").append(Shapes.str(s).replace(" ", ""));
        }
        return sb.toString();
    }

    private static void elementwise(List<Case> cs, Rng rng) {
        int[] a = randomShape(rng, 1, 4);
        int[] b = broadcastPartner(rng, a);
        if (rng.nextDouble() < 0.5) {
            int[] t = a;
            a = b;
            b = t; // the broadcast operand on either side
        }
        int[] sa = a, sb = b;
        String sh = " " + str(sa, sb);
        switch (rng.nextInt(4)) {
            case 0 -> cs.add(GradCheckTest.c("sweep add+tanh" + sh, GradCheckTest.normals(sa, sb),
                    v -> v[0].add(v[1]).tanh()));
            case 1 -> cs.add(GradCheckTest.c("sweep mul+silu" + sh, GradCheckTest.normals(sa, sb),
                    v -> v[0].mul(v[1]).silu()));
            case 2 -> cs.add(GradCheckTest.c("sweep div+exp" + sh,
                    r -> new Tensor[] {GradCheckTest.normal(r, sa), GradCheckTest.awayFromZero(r, sb)},
                    v -> v[0].div(v[1]).mul(0.3f).exp()));
            default -> cs.add(GradCheckTest.c("sweep sub+sigmoid" + sh, GradCheckTest.normals(sa, sb),
                    v -> v[0].sub(v[1]).sigmoid()));
        }
    }

    private static void reduction(List<Case> cs, Rng rng) {
        int[] s = randomShape(rng, 1, 4);
        List<Integer> axes = new ArrayList<>();
        for (int d = 0; d < s.length; d++) {
            if (rng.nextDouble() < 0.5) {
                axes.add(rng.nextDouble() < 0.5 ? d : d - s.length); // negative axes too
            }
        }
        int[] ax = axes.stream().mapToInt(Integer::intValue).toArray();
        boolean keep = rng.nextDouble() < 0.5;
        String sh = " " + str(s) + " axes " + Arrays.toString(ax).replace(" ", "") + (keep ? " keepDims" : "");
        switch (rng.nextInt(5)) {
            case 0 -> cs.add(GradCheckTest.c("sweep sum" + sh, GradCheckTest.normals(s),
                    v -> v[0].sum(keep, ax).square()));
            case 1 -> cs.add(GradCheckTest.c("sweep mean" + sh, GradCheckTest.normals(s),
                    v -> v[0].mean(keep, ax).square()));
            case 2 -> cs.add(GradCheckTest.c("sweep variance" + sh, GradCheckTest.normals(s),
                    v -> Reductions.variance(v[0], keep, ax)));
            case 3 -> cs.add(GradCheckTest.c("sweep logsumexp" + sh, GradCheckTest.normals(s),
                    v -> Reductions.logsumexp(v[0], keep, ax)));
            default -> cs.add(GradCheckTest.c("sweep max" + sh, r -> new Tensor[] {GradCheckTest.distinct(r, s)},
                    v -> Reductions.max(v[0], keep, ax), 1e-3));
        }
    }

    private static void matmul(List<Case> cs, Rng rng) {
        int m = between(rng, 1, 6), k = between(rng, 1, 6), n = between(rng, 1, 6);
        boolean ta = rng.nextDouble() < 0.5, tb = rng.nextDouble() < 0.5;
        int[] batch = randomShape(rng, 0, 2);
        int[] ba = broadcastPartner(rng, batch), bb = broadcastPartner(rng, batch);
        int[] a = concat(ba, ta ? new int[] {k, m} : new int[] {m, k});
        int[] b = concat(bb, tb ? new int[] {n, k} : new int[] {k, n});
        cs.add(GradCheckTest.c("sweep matmul " + (ta ? "A^T" : "A") + (tb ? "B^T" : "B") + " " + str(a, b),
                GradCheckTest.normals(a, b), v -> LinearOps.matmul(v[0], v[1], ta, tb)));
    }

    private static int[] concat(int[] x, int[] y) {
        int[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    private static void conv(List<Case> cs, Rng rng) {
        int kernel = rng.nextDouble() < 0.7 ? 3 : 1;
        int stride = between(rng, 1, 2), pad = kernel == 1 ? 0 : between(rng, 0, 1);
        int c = between(rng, 1, 3), k = between(rng, 1, 4);
        int h = between(rng, kernel, 7), w = between(rng, kernel, 7);
        int[] x = {between(rng, 1, 2), c, h, w}, wt = {k, c, kernel, kernel};
        boolean bias = rng.nextDouble() < 0.5;
        Function<Rng, Tensor[]> in = bias ? GradCheckTest.normals(x, wt, new int[] {k}) : GradCheckTest.normals(x, wt);
        cs.add(GradCheckTest.c("sweep conv2d " + kernel + "x" + kernel + " s" + stride + " p" + pad
                + (bias ? " bias " : " ") + str(x, wt), in,
                v -> ConvOps.conv2d(v[0], v[1], bias ? v[2] : null, stride, pad), 5e-3));
    }

    private static void groupNorm(List<Case> cs, Rng rng) {
        int groups = between(rng, 1, 3);
        int c = groups * between(rng, 1, 3);
        int[] spatial = randomShape(rng, 1, 2);
        int[] x = concat(new int[] {between(rng, 1, 2), c}, spatial);
        cs.add(GradCheckTest.c("sweep groupNorm " + groups + " groups " + str(x),
                GradCheckTest.normals(x, new int[] {c}, new int[] {c}),
                v -> NormOps.groupNorm(v[0], v[1], v[2], groups, 1e-5f), 5e-3));
    }

    private static void attention(List<Case> cs, Rng rng) {
        int heads = between(rng, 1, 2), ch = between(rng, 1, 3), t = between(rng, 1, 7);
        int[] qkv = {between(rng, 1, 2), 3 * heads * ch, t};
        cs.add(GradCheckTest.c("sweep qkvAttention " + heads + " heads " + str(qkv), GradCheckTest.normals(qkv),
                v -> AttentionOps.qkvAttention(v[0], heads), 5e-3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesCentralDifferences(Case c) {
        Rng rng = new Rng(4321, Integer.toUnsignedLong(c.name().hashCode()));
        Tensor[] inputs = c.inputs().apply(rng);
        GradCheck.Result r = GradCheck.check(c.f(), inputs, c.h(), ATOL, RTOL, MAX_PER_INPUT, rng);
        assertTrue(r.checked() > 0, c.name() + ": nothing checked");
        assertTrue(r.passed(), c.name() + ": worst element " + r.worst() + ", error/tolerance " + r.worstRatio());
    }
}
