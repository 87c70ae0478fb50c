package dev.cm4j.models;

import dev.cm4j.autodiff.ConvOps;
import dev.cm4j.autodiff.GradCheck;
import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.unet.AttentionBlock;
import dev.cm4j.models.unet.Downsample;
import dev.cm4j.models.unet.Upsample;
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

/** The convolutional layers and the embeddings: names, shapes, references, gradients (the U-Net blocks in a mix). */
class LayersTest {

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
