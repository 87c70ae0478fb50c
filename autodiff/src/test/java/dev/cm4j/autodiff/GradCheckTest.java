package dev.cm4j.autodiff;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every differentiable op against central finite differences ({@link GradCheck}), on several shapes each, broadcasting
 * included ({@link GradCheckSweepTest} adds random shapes). Tolerance: |analytic - numeric| <= 2e-4 + 2e-3 |numeric|
 * for every op, with step h = 1e-2 (1e-3 for the ops with kinks, 5e-3 for the big kernels), float32 forward, loss
 * accumulated in double: the float32 rounding of the probed loss is ~1e-7 relative, so the central difference's own
 * error is well below 1e-4 at these steps. Inputs of ops with a restricted domain or a
 * kink are drawn away from it (positive for log/sqrt, |x| >= 0.2 for abs and divisors, apart for max/min).
 */
class GradCheckTest {
    private static final double ATOL = 2e-4;
    private static final double RTOL = 2e-3;
    private static final int MAX_PER_INPUT = 40;

    /** One op applied to inputs drawn by {@code inputs}. */
    record Case(String name, Function<Rng, Tensor[]> inputs, Function<Var[], Var> f, double h) {
        @Override
        public String toString() {
            return name;
        }
    }

    // ---------------------------------------------------------------- input generators

    static Tensor normal(Rng rng, int... shape) {
        return rng.normal(shape);
    }

    /** Uniform in [0.5, 2): a safe domain for log, sqrt, rsqrt, pow. */
    static Tensor positive(Rng rng, int... shape) {
        return rng.uniform(0.5f, 2f, shape);
    }

    /** |x| in [0.2, 1.5) with a random sign: away from the kink of abs and the pole of division. */
    static Tensor awayFromZero(Rng rng, int... shape) {
        Tensor t = rng.uniform(0.2f, 1.5f, shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (rng.nextDouble() < 0.5) {
                d[i] = -d[i];
            }
        }
        return t;
    }

    /** Distinct values at least 0.05 apart (a shuffled grid): no ties for max/min within the step h. */
    static Tensor distinct(Rng rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = 0.05f * i - 0.025f * d.length;
        }
        for (int i = d.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float tmp = d[i];
            d[i] = d[j];
            d[j] = tmp;
        }
        return t;
    }

    static Function<Rng, Tensor[]> normals(int[]... shapes) {
        return rng -> {
            Tensor[] t = new Tensor[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                t[i] = normal(rng, shapes[i]);
            }
            return t;
        };
    }

    static int[] s(int... shape) {
        return shape;
    }

    static Case c(String name, Function<Rng, Tensor[]> inputs, Function<Var[], Var> f) {
        return new Case(name, inputs, f, 1e-2);
    }

    static Case c(String name, Function<Rng, Tensor[]> inputs, Function<Var[], Var> f, double h) {
        return new Case(name, inputs, f, h);
    }

    // ---------------------------------------------------------------- the cases

    static Stream<Case> cases() {
        List<Case> cs = new ArrayList<>();
        arithmetic(cs);
        pointwise(cs);
        reductions(cs);
        shapes(cs);
        linear(cs);
        nn(cs);
        losses(cs);
        return cs.stream();
    }

    private static void arithmetic(List<Case> cs) {
        int[][][] pairs = {{s(3, 4), s(3, 4)}, {s(3, 4), s(4)}, {s(2, 1, 4), s(3, 1)}, {s(5), s()}};
        for (int[][] p : pairs) {
            String sh = java.util.Arrays.toString(p[0]) + "," + java.util.Arrays.toString(p[1]);
            cs.add(c("add " + sh, normals(p[0], p[1]), v -> v[0].add(v[1])));
            cs.add(c("sub " + sh, normals(p[0], p[1]), v -> v[0].sub(v[1])));
            cs.add(c("mul " + sh, normals(p[0], p[1]), v -> v[0].mul(v[1])));
            cs.add(c("div " + sh, rng -> new Tensor[] {normal(rng, p[0]), awayFromZero(rng, p[1])},
                    v -> v[0].div(v[1])));
            cs.add(c("maximum " + sh, normals(p[0], p[1]), v -> v[0].maximum(v[1]), 1e-3));
            cs.add(c("minimum " + sh, normals(p[0], p[1]), v -> v[0].minimum(v[1]), 1e-3));
        }
        cs.add(c("where (3,4) cond (3,4) b (4)", normals(s(3, 4), s(4)),
                v -> Arithmetic.where(Tensor.of(new float[] {1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1}, 3, 4), v[0], v[1])));
        cs.add(c("addScalar (2,3)", normals(s(2, 3)), v -> v[0].add(0.7f)));
        cs.add(c("mulScalar (2,3)", normals(s(2, 3)), v -> v[0].mul(-1.3f)));
        cs.add(c("divScalar (2,3)", normals(s(2, 3)), v -> v[0].div(2.5f)));
        cs.add(c("rsubScalar (2,3)", normals(s(2, 3)), v -> Arithmetic.rsub(1.5f, v[0])));
        cs.add(c("neg (7)", normals(s(7)), v -> v[0].neg()));
    }

    private static void pointwise(List<Case> cs) {
        for (int[] sh : new int[][] {s(17), s(2, 3, 5)}) {
            String n = " " + java.util.Arrays.toString(sh);
            cs.add(c("exp" + n, normals(sh), v -> v[0].exp()));
            cs.add(c("log" + n, rng -> new Tensor[] {positive(rng, sh)}, v -> v[0].log()));
            cs.add(c("sqrt" + n, rng -> new Tensor[] {positive(rng, sh)}, v -> v[0].sqrt()));
            cs.add(c("rsqrt" + n, rng -> new Tensor[] {positive(rng, sh)}, v -> v[0].rsqrt()));
            cs.add(c("square" + n, normals(sh), v -> v[0].square()));
            cs.add(c("pow 1.5" + n, rng -> new Tensor[] {positive(rng, sh)}, v -> v[0].pow(1.5f)));
            cs.add(c("pow 3" + n, normals(sh), v -> v[0].pow(3f)));
            cs.add(c("tanh" + n, normals(sh), v -> v[0].tanh()));
            cs.add(c("sigmoid" + n, normals(sh), v -> v[0].sigmoid()));
            cs.add(c("silu" + n, normals(sh), v -> v[0].silu()));
            cs.add(c("abs" + n, rng -> new Tensor[] {awayFromZero(rng, sh)}, v -> v[0].abs(), 1e-3));
            cs.add(c("clamp" + n, normals(sh), v -> v[0].clamp(-0.5f, 0.8f), 1e-3));
            cs.add(c("sin" + n, normals(sh), v -> v[0].sin()));
            cs.add(c("cos" + n, normals(sh), v -> v[0].cos()));
        }
    }

    private static void reductions(List<Case> cs) {
        cs.add(c("sum all (3,4)", normals(s(3, 4)), v -> v[0].sum()));
        cs.add(c("mean all (3,4)", normals(s(3, 4)), v -> v[0].mean()));
        for (boolean keep : new boolean[] {false, true}) {
            String k = keep ? " keepDims" : "";
            cs.add(c("sum axis 1 (2,3,4)" + k, normals(s(2, 3, 4)), v -> v[0].sum(keep, 1)));
            cs.add(c("sum axes 0,2 (2,3,4)" + k, normals(s(2, 3, 4)), v -> v[0].sum(keep, 0, 2)));
            cs.add(c("mean axis -1 (2,3,4)" + k, normals(s(2, 3, 4)), v -> v[0].mean(keep, -1)));
            cs.add(c("mean axes 1,2 (2,3,4)" + k, normals(s(2, 3, 4)), v -> v[0].mean(keep, 1, 2)));
            cs.add(c("variance axis 1 (3,5)" + k, normals(s(3, 5)), v -> Reductions.variance(v[0], keep, 1)));
            cs.add(c("max axis 1 (3,5)" + k, rng -> new Tensor[] {distinct(rng, 3, 5)},
                    v -> Reductions.max(v[0], keep, 1), 1e-3));
            cs.add(c("min axes 0,2 (2,3,4)" + k, rng -> new Tensor[] {distinct(rng, 2, 3, 4)},
                    v -> Reductions.min(v[0], keep, 0, 2), 1e-3));
            cs.add(c("logsumexp axis 1 (3,5)" + k, normals(s(3, 5)), v -> Reductions.logsumexp(v[0], keep, 1)));
        }
        cs.add(c("variance all (4,6)", normals(s(4, 6)), v -> Reductions.variance(v[0], false)));
    }

    private static void shapes(List<Case> cs) {
        cs.add(c("reshape (2,3,4)->(4,6)", normals(s(2, 3, 4)), v -> v[0].reshape(4, 6).mul(v[0].reshape(4, 6))));
        cs.add(c("flatten (2,3)", normals(s(2, 3)), v -> v[0].flatten().square()));
        cs.add(c("squeeze (3,1,2)", normals(s(3, 1, 2)), v -> v[0].squeeze(1).square()));
        cs.add(c("unsqueeze (3,2)", normals(s(3, 2)), v -> v[0].unsqueeze(0).square()));
        cs.add(c("permute (2,3,4)->(2,0,1)", normals(s(2, 3, 4)), v -> v[0].permute(2, 0, 1).square()));
        cs.add(c("permute (2,3,4,5)->(0,2,3,1)", normals(s(2, 3, 4, 5)), v -> v[0].permute(0, 2, 3, 1).exp()));
        cs.add(c("transpose (3,4)", normals(s(3, 4)), v -> v[0].transpose(0, 1).square()));
        cs.add(c("transpose (2,3,4) 0,2", normals(s(2, 3, 4)), v -> v[0].transpose(0, 2).tanh()));
        cs.add(c("slice axis 1 [1,3) (2,4,3)", normals(s(2, 4, 3)), v -> v[0].slice(1, 1, 3).square()));
        cs.add(c("slice axis 0 [0,1) (3,2)", normals(s(3, 2)), v -> v[0].slice(0, 0, 1).square()));
        cs.add(c("concat axis 1 (2,1),(2,3),(2,2)", normals(s(2, 1), s(2, 3), s(2, 2)),
                v -> ShapeOps.concat(1, v[0], v[1], v[2]).square()));
        cs.add(c("concat axis 0 (1,3),(2,3)", normals(s(1, 3), s(2, 3)), v -> ShapeOps.concat(0, v[0], v[1]).tanh()));
        cs.add(c("stack axis 1 (2,3)x3", normals(s(2, 3), s(2, 3), s(2, 3)),
                v -> ShapeOps.stack(1, v[0], v[1], v[2]).square()));
        cs.add(c("pad (2,3) before (1,0) after (0,2)", normals(s(2, 3)),
                v -> ShapeOps.pad(v[0], new int[] {1, 0}, new int[] {0, 2}, 0.5f).square()));
        cs.add(c("pad (1,2,3,3) spatial 1", normals(s(1, 2, 3, 3)),
                v -> ShapeOps.pad(v[0], new int[] {0, 0, 1, 1}, new int[] {0, 0, 1, 1}, 0f).exp()));
        cs.add(c("broadcastTo (3,1)->(2,3,4)", normals(s(3, 1)), v -> v[0].broadcastTo(2, 3, 4).square()));
    }

    private static void linear(List<Case> cs) {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int[] a = ta ? s(4, 3) : s(3, 4), b = tb ? s(5, 4) : s(4, 5);
                cs.add(c("matmul " + (ta ? "A^T" : "A") + (tb ? "B^T" : "B") + " (3x4)(4x5)", normals(a, b),
                        v -> LinearOps.matmul(v[0], v[1], ta, tb)));
                int[] ab = ta ? s(2, 4, 3) : s(2, 3, 4), bb = tb ? s(2, 5, 4) : s(2, 4, 5);
                cs.add(c("batched matmul " + (ta ? "A^T" : "A") + (tb ? "B^T" : "B") + " (2,3,4)(2,4,5)",
                        normals(ab, bb), v -> LinearOps.matmul(v[0], v[1], ta, tb)));
                // broadcast batch axes: a shared B, and a batch of 1 against a batch of 2
                int[] a3 = ta ? s(2, 4, 3) : s(2, 3, 4);
                cs.add(c("broadcast matmul " + (ta ? "A^T" : "A") + (tb ? "B^T" : "B") + " (2,3,4)(4,5)",
                        normals(a3, b), v -> LinearOps.matmul(v[0], v[1], ta, tb)));
                int[] a1 = ta ? s(1, 4, 3) : s(1, 3, 4);
                cs.add(c("broadcast matmul " + (ta ? "A^T" : "A") + (tb ? "B^T" : "B") + " (1,3,4)(2,4,5)",
                        normals(a1, bb), v -> LinearOps.matmul(v[0], v[1], ta, tb)));
            }
        }
        cs.add(c("broadcast matmul (3,4)(2,2,4,5)", normals(s(3, 4), s(2, 2, 4, 5)),
                v -> LinearOps.matmul(v[0], v[1], false, false)));
        cs.add(c("linear (5,3)->(5,4) bias", normals(s(5, 3), s(4, 3), s(4)), v -> LinearOps.linear(v[0], v[1], v[2])));
        cs.add(c("linear (5,3) no bias", normals(s(5, 3), s(4, 3)), v -> LinearOps.linear(v[0], v[1], null)));
        cs.add(c("linear (2,3,6)->(2,3,2) bias", normals(s(2, 3, 6), s(2, 6), s(2)),
                v -> LinearOps.linear(v[0], v[1], v[2])));
    }

    private static void nn(List<Case> cs) {
        cs.add(c("conv2d 3x3 s1 p1 bias (2,3,5,5)", normals(s(2, 3, 5, 5), s(4, 3, 3, 3), s(4)),
                v -> ConvOps.conv2d(v[0], v[1], v[2], 1, 1), 5e-3));
        cs.add(c("conv2d 3x3 s2 p1 (1,2,6,7)", normals(s(1, 2, 6, 7), s(3, 2, 3, 3)),
                v -> ConvOps.conv2d(v[0], v[1], null, 2, 1), 5e-3));
        cs.add(c("conv2d 1x1 s1 p0 bias (2,4,3,3)", normals(s(2, 4, 3, 3), s(5, 4, 1, 1), s(5)),
                v -> ConvOps.conv2d(v[0], v[1], v[2], 1, 0), 5e-3));
        cs.add(c("conv2d 3x3 s1 p0 (1,1,4,5)", normals(s(1, 1, 4, 5), s(2, 1, 3, 3)),
                v -> ConvOps.conv2d(v[0], v[1], null, 1, 0), 5e-3));
        cs.add(c("avgPool2x2 (2,3,4,6)", normals(s(2, 3, 4, 6)), v -> ConvOps.avgPool2x2(v[0]).square()));
        cs.add(c("upsampleNearest2x (2,2,3,2)", normals(s(2, 2, 3, 2)), v -> ConvOps.upsampleNearest2x(v[0]).square()));
        cs.add(c("groupNorm 2 groups (2,4,3,3)", normals(s(2, 4, 3, 3), s(4), s(4)),
                v -> NormOps.groupNorm(v[0], v[1], v[2], 2, 1e-5f), 5e-3));
        cs.add(c("groupNorm 3 groups (1,6,5)", normals(s(1, 6, 5), s(6), s(6)),
                v -> NormOps.groupNorm(v[0], v[1], v[2], 3, 1e-5f), 5e-3));
        cs.add(c("groupNormSilu 2 groups (2,4,4,4)", normals(s(2, 4, 4, 4), s(4), s(4)),
                v -> NormOps.groupNormSilu(v[0], v[1], v[2], null, null, 2, 1e-5f), 5e-3));
        cs.add(c("groupNormSilu scale-shift 3 groups (2,6,5)", normals(s(2, 6, 5), s(6), s(6), s(2, 6), s(2, 6)),
                v -> NormOps.groupNormSilu(v[0], v[1], v[2], v[3], v[4], 3, 1e-5f), 5e-3));
        cs.add(c("softmax (3,5)", normals(s(3, 5)), v -> SoftmaxOps.softmax(v[0])));
        cs.add(c("softmax (2,2,7)", normals(s(2, 2, 7)), v -> SoftmaxOps.softmax(v[0])));
        cs.add(c("logSoftmax (3,5)", normals(s(3, 5)), v -> SoftmaxOps.logSoftmax(v[0])));
        cs.add(c("logSoftmax (2,2,7)", normals(s(2, 2, 7)), v -> SoftmaxOps.logSoftmax(v[0])));
        cs.add(c("qkvAttention 1 head (2,12,5)", normals(s(2, 12, 5)), v -> AttentionOps.qkvAttention(v[0], 1), 5e-3));
        cs.add(c("qkvAttention 2 heads (1,12,7)", normals(s(1, 12, 7)), v -> AttentionOps.qkvAttention(v[0], 2), 5e-3));
        cs.add(c("dropout p=0.3 replayed mask (4,5)", normals(s(4, 5)),
                v -> DropoutOps.dropout(v[0], 0.3f, new Rng(99))));
    }

    private static void losses(List<Case> cs) {
        cs.add(c("sumSquaresPerSample (3,2,4)", normals(s(3, 2, 4)), v -> Losses.sumSquaresPerSample(v[0])));
        cs.add(c("msePerSample (3,5)", normals(s(3, 5), s(3, 5)), v -> Losses.msePerSample(v[0], v[1])));
        cs.add(c("pseudoHuber c=0.1 (3,2,2,2)", normals(s(3, 2, 2, 2), s(3, 2, 2, 2)),
                v -> Losses.pseudoHuber(v[0], v[1], 0.1f)));
        cs.add(c("pseudoHuber c=0 (4,3)", normals(s(4, 3), s(4, 3)), v -> Losses.pseudoHuber(v[0], v[1], 0f)));
        cs.add(c("crossEntropy (4,3)", rng -> new Tensor[] {normal(rng, 4, 3), rng.uniform(0f, 1f, 4, 3)},
                v -> Losses.crossEntropy(v[0], v[1])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesCentralDifferences(Case c) {
        Rng rng = new Rng(1234, c.name().hashCode());
        Tensor[] inputs = c.inputs().apply(rng);
        GradCheck.Result r = GradCheck.check(c.f(), inputs, c.h(), ATOL, RTOL, MAX_PER_INPUT, rng);
        assertTrue(r.checked() > 0, c.name() + ": nothing checked");
        assertTrue(r.passed(), c.name() + ": worst element " + r.worst() + ", error/tolerance " + r.worstRatio());
    }
}
