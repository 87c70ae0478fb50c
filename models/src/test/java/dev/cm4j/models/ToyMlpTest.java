package dev.cm4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToyMlpTest {
    private static final ToyMlp.Config CONFIG = new ToyMlp.Config(2, 256, 4, 32, 100, 0f);

    @Test
    void startsAtZeroOutputWithHeNormalHiddenLayers() {
        ToyMlp mlp = new ToyMlp(CONFIG, new Rng(1));
        Map<String, Var> p = mlp.namedParameters();
        assertEquals(List.of("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias",
                "net.6.weight", "net.6.bias", "net.8.weight", "net.8.bias"), List.copyOf(p.keySet()));
        // He-normal: N(0, 2 / fanIn) weights, zero biases
        for (String layer : new String[] {"net.0", "net.2", "net.4", "net.6"}) {
            Tensor w = p.get(layer + ".weight").value();
            int fanIn = w.dim(1);
            double s2 = 0;
            for (int i = 0; i < w.size(); i++) {
                s2 += (double) w.data()[w.offset() + i] * w.data()[w.offset() + i];
            }
            assertEquals(Math.sqrt(2.0 / fanIn), Math.sqrt(s2 / w.size()), 0.05 * Math.sqrt(2.0 / fanIn), layer);
            assertEquals(0f, maxAbs(p.get(layer + ".bias").value()), layer + " bias");
        }
        assertEquals(0f, maxAbs(p.get("net.8.weight").value()), "output layer starts at zero");
        Var out = mlp.forward(Var.constant(new Rng(2).normal(16, 2)), Var.constant(new Rng(3).normal(16)));
        assertEquals(0f, maxAbs(out.value()), "F = 0 at initialisation");
        // (34 -> 256) + 3 x (256 -> 256) + (256 -> 2), weights and biases
        assertEquals(34 * 256 + 256 + 3 * (256 * 256 + 256) + 256 * 2 + 2, mlp.parameterCount());
    }

    @Test
    void hiddenActivationsKeepTheirScale() {
        // the reason for He-normal: a 4 x 256 SiLU stack keeps unit-order activations (PyTorch's default shrinks them)
        ToyMlp mlp = new ToyMlp(CONFIG, new Rng(1));
        Var h = dev.cm4j.autodiff.ShapeOps.concat(1, Var.constant(new Rng(2).normal(512, 2)),
                Embeddings.timestep(Var.constant(new Rng(3).normal(512)).mul(25f), 32));
        List<Layer> layers = mlp.net().layers();
        for (int i = 0; i < layers.size() - 1; i++) {
            h = layers.get(i).forward(h);
        }
        double s2 = 0;
        for (int i = 0; i < h.size(); i++) {
            s2 += (double) h.value().data()[i] * h.value().data()[i];
        }
        double rms = Math.sqrt(s2 / h.size());
        assertTrue(rms > 0.3 && rms < 3, "last hidden activation RMS " + rms);
    }

    @Test
    void gradientsReachEveryLayerAndDropoutIsOptional() {
        ToyMlp mlp = new ToyMlp(new ToyMlp.Config(2, 16, 2, 8, 100, 0.2f), new Rng(4));
        assertEquals(7, mlp.net().size(), "Linear, SiLU, Dropout per hidden layer, then the output layer");
        Var out = mlp.forward(Var.constant(new Rng(5).normal(8, 2)), Var.constant(new Rng(6).normal(8)));
        out.sum().backward();
        assertTrue(maxAbs(mlp.namedParameters().get("net.6.weight").grad()) > 0, "output layer gradient");
        assertEquals(2, mlp.rngPositions().size(), "one generator per dropout layer");
    }

    @Test
    void rejectsBadShapesAndSettings() {
        ToyMlp mlp = new ToyMlp(new ToyMlp.Config(2, 8, 1, 4, 100, 0f), new Rng(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> mlp.forward(Var.constant(Tensor.zeros(4, 3)), Var.constant(Tensor.zeros(4))));
        assertTrue(e.getMessage().contains("[4, 3]") && e.getMessage().contains("(B, 2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> mlp.forward(Var.constant(Tensor.zeros(4, 2)), Var.constant(Tensor.zeros(5))));
        assertTrue(e.getMessage().contains("[5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ToyMlp.Config(2, 8, 0, 4, 100, 0f));
        assertThrows(IllegalArgumentException.class, () -> new ToyMlp.Config(2, 8, 1, 4, 100, 1f));
    }

    private static float maxAbs(Tensor t) {
        float m = 0;
        for (int i = 0; i < t.size(); i++) {
            m = Math.max(m, Math.abs(t.data()[t.offset() + i]));
        }
        return m;
    }

    @Test
    void presetsAndWith() {
        assertEquals(List.of("small2d"), ToyMlp.Config.presetNames());
        assertEquals(ToyMlp.Config.small2d(), ToyMlp.Config.preset("small2d"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ToyMlp.Config.preset("big"));
        assertEquals("ToyMlp.Config: no preset named \"big\"; the presets are small2d", e.getMessage());
        assertEquals(CONFIG, ToyMlp.Config.small2d().withWidth(256).withDepth(4).withNoiseScale(100));
        assertEquals(new ToyMlp.Config(3, 128, 3, 64, 10, 0.1f),
                ToyMlp.Config.small2d().withDataDim(3).withEmbeddingDim(64).withDropout(0.1f));
        assertThrows(IllegalArgumentException.class, () -> CONFIG.withDepth(0));
    }
}
