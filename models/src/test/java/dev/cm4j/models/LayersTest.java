package dev.cm4j.models;

import dev.cm4j.autodiff.ConvOps;
import dev.cm4j.autodiff.GradCheck;
import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The convolutional layers, the attention block and the embeddings: names, shapes, references, gradients. */
class LayersTest {

    @Test
    void attentionBlockHasAdmNamesAndStartsAsTheIdentity() {
        AttentionBlock block = new AttentionBlock(8, 2, 4, new Rng(1));
        Map<String, Tensor> sd = block.stateDict();
        assertEquals(List.of("norm.weight", "norm.bias", "qkv.weight", "qkv.bias", "proj_out.weight",
                "proj_out.bias"), List.copyOf(sd.keySet()));
        // consistency_models builds its attention with dims=2: 1x1 Conv2d weights
        assertArrayEquals(new int[] {24, 8, 1, 1}, sd.get("qkv.weight").shape());
        assertArrayEquals(new int[] {8, 8, 1, 1}, sd.get("proj_out.weight").shape());
        Tensor x = new Rng(2).normal(2, 8, 3, 3);
        Tensor y = block.forward(Var.constant(x)).value();
        assertEquals(0f, y.maxAbsDiff(x), "zero-initialised proj_out: the block is the identity at init");
        assertEquals(4, AttentionBlock.headsFor(256, 1, 64));
        assertEquals(3, AttentionBlock.headsFor(96, 3, -1));
    }

    /** The attention block in plain double loops: GroupNorm, qkv with (three, heads, headDim), softmax, proj_out. */
    static double[] referenceAttention(Map<String, Tensor> p, Tensor x, int heads, int groups) {
        int b = x.dim(0), c = x.dim(1), t = x.size() / (b * c), d = c / heads, cg = c / groups;
        float[] xs = x.toArray();
        double[] out = new double[xs.length];
        for (int n = 0; n < b; n++) {
            double[][] h = new double[c][t];
            for (int g = 0; g < groups; g++) {
                double mean = 0, var = 0;
                for (int ch = g * cg; ch < (g + 1) * cg; ch++) {
                    for (int s = 0; s < t; s++) {
                        mean += xs[(n * c + ch) * t + s];
                    }
                }
                mean /= cg * t;
                for (int ch = g * cg; ch < (g + 1) * cg; ch++) {
                    for (int s = 0; s < t; s++) {
                        double dv = xs[(n * c + ch) * t + s] - mean;
                        var += dv * dv;
                    }
                }
                var /= cg * t;
                for (int ch = g * cg; ch < (g + 1) * cg; ch++) {
                    for (int s = 0; s < t; s++) {
                        h[ch][s] = (xs[(n * c + ch) * t + s] - mean) / Math.sqrt(var + 1e-5)
                                * p.get("norm.weight").data()[ch] + p.get("norm.bias").data()[ch];
                    }
                }
            }
            double[][] qkv = conv1x1(p.get("qkv.weight"), p.get("qkv.bias"), h);
            double[][] a = new double[c][t];
            for (int hd = 0; hd < heads; hd++) {
                for (int q = 0; q < t; q++) {
                    double[] w = new double[t];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int k = 0; k < t; k++) {
                        for (int i = 0; i < d; i++) {
                            w[k] += qkv[hd * d + i][q] * qkv[c + hd * d + i][k];
                        }
                        w[k] /= Math.sqrt(d);
                        max = Math.max(max, w[k]);
                    }
                    for (int k = 0; k < t; k++) {
                        w[k] = Math.exp(w[k] - max);
                        sum += w[k];
                    }
                    for (int i = 0; i < d; i++) {
                        for (int k = 0; k < t; k++) {
                            a[hd * d + i][q] += w[k] / sum * qkv[2 * c + hd * d + i][k];
                        }
                    }
                }
            }
            double[][] proj = conv1x1(p.get("proj_out.weight"), p.get("proj_out.bias"), a);
            for (int ch = 0; ch < c; ch++) {
                for (int s = 0; s < t; s++) {
                    out[(n * c + ch) * t + s] = xs[(n * c + ch) * t + s] + proj[ch][s];
                }
            }
        }
        return out;
    }

    private static double[][] conv1x1(Tensor w, Tensor bias, double[][] x) {
        int out = w.dim(0), in = w.dim(1), t = x[0].length;
        double[][] y = new double[out][t];
        for (int o = 0; o < out; o++) {
            for (int s = 0; s < t; s++) {
                double acc = bias.data()[o];
                for (int i = 0; i < in; i++) {
                    acc += w.data()[o * in + i] * x[i][s];
                }
                y[o][s] = acc;
            }
        }
        return y;
    }

    @Test
    void attentionBlockMatchesAPlainReferenceWithTheConsistencyModelsHeadLayout() {
        Rng rng = new Rng(3);
        int heads = 2, groups = 4;
        AttentionBlock block = new AttentionBlock(8, heads, groups, rng);
        // non-trivial proj_out and norm affine so every part shows
        block.stateDict().forEach((k, v) -> v.copyFrom(rng.normal(v.shape()).mul(0.5f)));
        Tensor x = rng.normal(2, 8, 3, 2);
        Tensor y = block.forward(Var.constant(x)).value();
        double[] ref = referenceAttention(block.stateDict(), x, heads, groups);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs(ref[i] - y.data()[i]);
            if (e > worst) {
                worst = e;
                at = i;
            }
        }
        assertTrue(worst < 1e-4, "max |y - reference| = " + worst + " at element " + at);
    }

    private static void gradCheck(String what, Function<Var[], Var> f, Tensor... inputs) {
        GradCheck.Result r = GradCheck.check(f, inputs, 5e-3, 2e-3, 2e-2, 30, new Rng(what.hashCode()));
        assertTrue(r.passed(), what + ": worst element " + r.worst() + ", error/tolerance " + r.worstRatio());
    }

    @Test
    void layerGradientsMatchFiniteDifferences() {
        Rng rng = new Rng(4);
        AttentionBlock attn = new AttentionBlock(8, 2, 4, rng);
        attn.stateDict().forEach((k, v) -> v.copyFrom(rng.normal(v.shape()).mul(0.5f)));
        gradCheck("attention block input", v -> attn.forward(v[0]), rng.normal(1, 8, 2, 3));
        Conv2d conv = Conv2d.same3x3(3, 4, rng);
        Downsample down = new Downsample(4, true, 5, rng);
        Upsample up = new Upsample(5, true, 2, rng);
        GroupNorm gn = new GroupNorm(2, 4);
        gradCheck("conv -> groupnorm -> silu -> down -> up", v -> up.forward(down.forward(gn.forward(
                conv.forward(v[0])).silu())), rng.normal(2, 3, 4, 4));
        gradCheck("avg-pool downsample", v -> new Downsample(3, false, 3, null).forward(v[0]).square(),
                rng.normal(1, 3, 4, 6));
        gradCheck("sinusoidal embedding in t", v -> Embeddings.timestep(v[0], 7), rng.uniform(-2f, 2f, 5));
        GaussianFourierProjection fourier = new GaussianFourierProjection(4, 0.5f, rng);
        gradCheck("Fourier features in t", v -> fourier.forward(v[0]), rng.uniform(-1f, 1f, 3));
        // gradients into a layer's parameters: a conv weight and bias through silu
        Tensor x = rng.normal(1, 3, 4, 4);
        gradCheck("conv weight and bias", v -> ConvOps.conv2d(Var.constant(x), v[0], v[1], 1, 1).silu(),
                conv.weight().value().copy(), conv.bias().value().copy());
    }

    @Test
    void timestepEmbeddingIsAdmsCosSinWithMaxPeriod10000() {
        float[] t = {0f, 1f, -1554.2f, 1095.3f};
        int dim = 6, half = 3;
        Tensor e;
        try (NoGrad ignored = NoGrad.enter()) {
            e = Embeddings.timestep(Var.constant(Tensor.of(t, 4)), dim).value();
        }
        assertArrayEquals(new int[] {4, dim}, e.shape());
        for (int n = 0; n < t.length; n++) {
            for (int i = 0; i < half; i++) {
                // PyTorch's float32 recipe, step by step
                float f = (float) Math.exp(((float) -Math.log(10000) * (float) i) / half);
                float arg = t[n] * f;
                assertEquals(Math.cos(arg), e.get(n, i), 2e-6, "cos " + n + "," + i);
                assertEquals(Math.sin(arg), e.get(n, half + i), 2e-6, "sin " + n + "," + i);
            }
        }
        Tensor odd = Embeddings.timestep(Var.constant(Tensor.of(t, 4)), 5).value();
        assertArrayEquals(new int[] {4, 5}, odd.shape());
        assertEquals(0f, odd.get(2, 4), "odd dim pads a zero column");
    }

    @Test
    void fourierFeaturesAreSinThenCosOfTwoPiXW() {
        GaussianFourierProjection p = new GaussianFourierProjection(3, 16f, new Rng(9));
        Tensor w = p.stateDict().get("W");
        assertArrayEquals(new int[] {3}, w.shape());
        Tensor y = p.forward(Var.constant(Tensor.of(new float[] {0.25f}, 1))).value();
        for (int i = 0; i < 3; i++) {
            double arg = 2 * Math.PI * 0.25 * w.data()[i];
            assertEquals(Math.sin(arg), y.get(0, i), 1e-4);
            assertEquals(Math.cos(arg), y.get(0, 3 + i), 1e-4);
        }
        assertTrue(p.parameters().isEmpty(), "W is a fixed buffer, not trained");
    }

    @Test
    void samplingLayersChangeResolutionAndCheckTheirArguments() {
        Rng rng = new Rng(5);
        Var x = Var.constant(rng.normal(2, 4, 8, 6));
        assertArrayEquals(new int[] {2, 6, 4, 3}, new Downsample(4, true, 6, rng).forward(x).shape());
        assertArrayEquals(new int[] {2, 4, 4, 3}, new Downsample(4, false, 4, null).forward(x).shape());
        assertArrayEquals(new int[] {2, 3, 16, 12}, new Upsample(4, true, 3, rng).forward(x).shape());
        assertEquals(List.of("op.weight", "op.bias"), List.copyOf(new Downsample(4, true, 4, rng).stateDict()
                .keySet()));
        assertEquals(List.of("conv.weight", "conv.bias"), List.copyOf(new Upsample(4, true, 4, rng).stateDict()
                .keySet()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GroupNorm(3, 8));
        assertEquals("GroupNorm: 8 channels cannot be split into 3 groups", e.getMessage());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> new AttentionBlock(8, 2, 4, rng).forward(x));
        assertTrue(a.getMessage().contains("[2, 4, 8, 6]") && a.getMessage().contains("(B, 8, ...)"),
                a.getMessage());
    }
}
