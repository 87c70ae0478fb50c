package dev.cm4j.models.unet;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The attention block: ADM names, the identity at initialisation, and a plain reference of its forward. */
class AttentionBlockTest {
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
}
