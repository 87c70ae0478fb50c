package dev.cm4j.models;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Names, state dicts, strict loading, modes and the layers without convolution. */
class ModuleTest {

    /** A small tree shaped like ADM's: a Sequential of Sequentials. */
    static final class Block extends Module implements Layer {
        final Sequential inLayers;

        Block(Rng rng) {
            inLayers = registerModule("in_layers", new Sequential(new Linear(4, 4, rng), new SiLU(),
                    new Dropout(0.5f, rng.fork(1)), new Linear(4, 4, rng)));
        }

        @Override
        public Var forward(Var x) {
            return inLayers.forward(x);
        }
    }

    static final class Net extends Module {
        final Sequential blocks = registerModule("input_blocks", new Sequential());

        Net(Rng rng) {
            blocks.add(new Linear(2, 4, rng));
            blocks.add(new Sequential(new Block(rng)));
        }
    }

    @Test
    void dottedNamesFollowPyTorch() {
        Net net = new Net(new Rng(1));
        List<String> names = new ArrayList<>(net.namedParameters().keySet());
        assertEquals(List.of("input_blocks.0.weight", "input_blocks.0.bias",
                "input_blocks.1.0.in_layers.0.weight", "input_blocks.1.0.in_layers.0.bias",
                "input_blocks.1.0.in_layers.3.weight", "input_blocks.1.0.in_layers.3.bias"), names);
        assertEquals(2 * 4 + 4 + 2 * (16 + 4), net.parameterCount());
        assertEquals(List.of("input_blocks.1.0.in_layers.2"), new ArrayList<>(net.rngPositions().keySet()));
        assertSame(net.namedParameters().get("input_blocks.0.weight").value(),
                net.stateDict().get("input_blocks.0.weight"));
    }

    @Test
    void strictLoadListsMissingUnexpectedAndMismatchedNamesAndLoadsNothing() {
        Net net = new Net(new Rng(1));
        Map<String, Tensor> state = new LinkedHashMap<>();
        net.stateDict().forEach((k, v) -> state.put(k, Tensor.full(7f, v.shape())));
        state.remove("input_blocks.0.bias");
        state.put("input_blocks.9.weight", Tensor.zeros(1));
        state.put("input_blocks.1.0.in_layers.3.weight", Tensor.zeros(3, 4));
        float before = net.stateDict().get("input_blocks.0.weight").data()[0];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.load(state));
        assertEquals("load: state does not match Net: missing [input_blocks.0.bias]; unexpected "
                + "[input_blocks.9.weight]; shape mismatch [input_blocks.1.0.in_layers.3.weight: saved "
                + "[3, 4] vs module [4, 4]]", e.getMessage());
        assertEquals(before, net.stateDict().get("input_blocks.0.weight").data()[0], "partial load");
        // with a source, the error says where the state came from
        e = assertThrows(IllegalArgumentException.class, () -> net.load(state, "ema_0.9999.safetensors"));
        assertTrue(e.getMessage().startsWith("load from ema_0.9999.safetensors: state does not match Net: missing"),
                e.getMessage());
    }

    @Test
    void loadCopiesValuesIntoTheLiveParameters() {
        Net a = new Net(new Rng(1)), b = new Net(new Rng(2));
        assertNotEquals(a.stateDict().get("input_blocks.0.weight").data()[0],
                b.stateDict().get("input_blocks.0.weight").data()[0]);
        b.load(a.stateDict());
        a.stateDict().forEach((k, v) -> assertArrayEquals(v.toArray(), b.stateDict().get(k).toArray(), k));
    }

    @Test
    void linearDefaultInitIsPyTorchsKaimingUniform() {
        int in = 64;
        Linear l = new Linear(in, 256, new Rng(3));
        float bound = (float) (1 / Math.sqrt(in));
        float maxW = 0, maxB = 0;
        double sumSq = 0;
        for (float w : l.weight().value().toArray()) {
            maxW = Math.max(maxW, Math.abs(w));
            sumSq += w * w;
        }
        for (float b : l.bias().value().toArray()) {
            maxB = Math.max(maxB, Math.abs(b));
        }
        assertTrue(maxW <= bound && maxW > 0.95 * bound, "weight bound " + maxW + " vs " + bound);
        assertTrue(maxB <= bound && maxB > 0.9 * bound, "bias bound " + maxB + " vs " + bound);
        // U(-b, b) has variance b^2 / 3
        assertEquals(bound * bound / 3, sumSq / (in * 256), 0.05 * bound * bound / 3);
        Linear he = new Linear(in, 256, true, Init.Scheme.HE_NORMAL, new Rng(3));
        double var = 0;
        for (float w : he.weight().value().toArray()) {
            var += w * w;
        }
        assertEquals(2.0 / in, var / (in * 256), 0.05 * 2.0 / in);
        assertEquals(0f, he.bias().value().maxAbsDiff(Tensor.zeros(256)));
        Linear zero = new Linear(in, 2, true, Init.Scheme.ZERO, new Rng(3));
        assertEquals(0f, zero.weight().value().maxAbsDiff(Tensor.zeros(2, in)));
    }

    @Test
    void dropoutIsSeededReplayableAndOffInEval() {
        Block block = new Block(new Rng(5));
        Var x = Var.constant(new Rng(6).normal(8, 4));
        Map<String, Long> saved = block.rngPositions();
        Tensor first = block.forward(x).value();
        Tensor second = block.forward(x).value();
        assertTrue(first.maxAbsDiff(second) > 0, "a new call draws a new mask");
        block.setRngPositions(saved);
        Tensor replay = block.forward(x).value();
        assertEquals(0f, first.maxAbsDiff(replay), "restored positions replay the mask");
        block.eval();
        assertFalse(block.inLayers.isTraining());
        Tensor a = block.forward(x).value(), b = block.forward(x).value();
        assertEquals(0f, a.maxAbsDiff(b));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> block.setRngPositions(Map.of("nope", 1L)));
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("in_layers.2"), e.getMessage());
    }

    @Test
    void duplicateOrDottedNamesAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Module() {
            {
                registerParameter("a.b", Tensor.zeros(1));
            }
        });
        assertTrue(e.getMessage().contains("'a.b'"), e.getMessage());
    }
}
