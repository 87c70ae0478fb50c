package dev.cm4j.models.unet;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.ShapeOnly;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The U-Net's structure: parameter counts and names of the released networks, shapes, the zero start, errors. */
class UNetTest {

    /**
     * A tiny network with every kind of block: 8x8 images, mc 8, mult (1, 2), one ResBlock per level, attention at
     * 4x4 with 2 heads, 4 groups.
     */
    static UNet.Config tiny(int classes, boolean scaleShift, boolean resblockUpdown) {
        return new UNet.Config(8, 2, 3, 8, List.of(1, 2), 1, List.of(4), 0f, classes, 2, -1, scaleShift,
                resblockUpdown, true, 4);
    }

    @Test
    void releasedNetworksHaveTheirPublishedParameterCounts() {
        // docs/ALGORITHMS.md#networks, counted from the released cm/unet.py
        assertEquals(295_899_267L, UNet.countParameters(UNet.Config.imageNet64()));
        assertEquals(526_304_771L, UNet.countParameters(UNet.Config.lsun256()));
        // Counted by hand per block (ResBlock(i, o) = 2i + 9io + o + emb + 2o + 9o^2 + o [+ io + o when i != o],
        // emb = 129o, or 258o with scale-shift; attention(C) = 4C^2 + 6C; time embedding 20,736; stem 320;
        // strided and up convolutions 9,248 / 36,928 / 36,928; out 353): 1,742,881 with scale-shift (the spec's
        // "1.74M") and 1,623,169 without.
        assertEquals(1_742_881L, UNet.countParameters(UNet.Config.small28()));
        assertEquals(1_623_169L, UNet.countParameters(UNet.Config.small28().withScaleShiftNorm(false)));
    }

    @Test
    void shapeOnlyBuildHasTheNamesAndShapesOfTheRealOne() {
        for (UNet.Config c : List.of(UNet.Config.small28(), tiny(3, true, true), tiny(0, false, false))) {
            UNet real = new UNet(c, new Rng(1));
            Map<String, int[]> expected = new LinkedHashMap<>();
            real.namedParameters().forEach((k, v) -> expected.put(k, v.shape()));
            Map<String, int[]> shapes = UNet.parameterShapes(c);
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(shapes.keySet()), c.toString());
            expected.forEach((k, s) -> assertArrayEquals(s, shapes.get(k), k));
            assertEquals(real.parameterCount(), UNet.countParameters(c));
        }
        assertFalse(ShapeOnly.active(), "the scope is closed after counting");
    }

    @Test
    void imageNet64HasTheReleasedParameterNamesAndShapes() {
        // read off cm/unet.py (e32b69e) for mc 192, mult (1,2,3,4), 3 ResBlocks, attention at ds 2, 4, 8
        Map<String, int[]> s = UNet.parameterShapes(UNet.Config.imageNet64());
        Map<String, int[]> known = new LinkedHashMap<>();
        known.put("time_embed.0.weight", new int[] {768, 192});
        known.put("time_embed.2.weight", new int[] {768, 768});
        known.put("label_emb.weight", new int[] {1000, 768});
        known.put("input_blocks.0.0.weight", new int[] {192, 3, 3, 3});
        known.put("input_blocks.1.0.in_layers.0.weight", new int[] {192});
        known.put("input_blocks.1.0.emb_layers.1.weight", new int[] {384, 768}); // 2 x 192: scale and shift
        known.put("input_blocks.1.0.out_layers.3.weight", new int[] {192, 192, 3, 3});
        known.put("input_blocks.4.0.in_layers.2.weight", new int[] {192, 192, 3, 3}); // the down ResBlock
        known.put("input_blocks.5.0.skip_connection.weight", new int[] {384, 192, 1, 1});
        known.put("input_blocks.5.1.qkv.weight", new int[] {1152, 384, 1, 1}); // conv_nd(2, C, 3C, 1)
        known.put("input_blocks.5.1.proj_out.weight", new int[] {384, 384, 1, 1});
        known.put("middle_block.1.qkv.weight", new int[] {2304, 768, 1, 1});
        known.put("middle_block.2.out_layers.3.bias", new int[] {768});
        known.put("output_blocks.0.0.in_layers.0.weight", new int[] {1536}); // GroupNorm over [h, skip]
        known.put("output_blocks.0.0.skip_connection.weight", new int[] {768, 1536, 1, 1});
        known.put("output_blocks.3.0.skip_connection.weight", new int[] {768, 1344, 1, 1}); // 768 + 576 skip
        known.put("output_blocks.3.2.in_layers.2.weight", new int[] {768, 768, 3, 3}); // the up ResBlock
        known.put("output_blocks.12.0.skip_connection.weight", new int[] {192, 576, 1, 1});
        known.put("output_blocks.15.0.skip_connection.weight", new int[] {192, 384, 1, 1});
        known.put("out.0.weight", new int[] {192});
        known.put("out.2.weight", new int[] {3, 192, 3, 3});
        known.forEach((k, shape) -> {
            assertTrue(s.containsKey(k), "missing " + k);
            assertArrayEquals(shape, s.get(k), k);
        });
        // no attention at 64x64, no skip convolution where the channels stay, no parameters in the resamplers
        assertFalse(s.containsKey("input_blocks.1.1.qkv.weight"));
        assertFalse(s.containsKey("input_blocks.4.0.skip_connection.weight"));
        assertTrue(s.keySet().stream().noneMatch(k -> k.contains("h_upd") || k.contains("x_upd")));
        assertEquals(16, s.keySet().stream().filter(k -> k.matches("output_blocks\\.\\d+\\.0\\.in_layers\\.0"
                + "\\.weight")).count(), "16 output blocks");
        List<String> order = List.copyOf(s.keySet());
        assertEquals("time_embed.0.weight", order.get(0));
        assertEquals("out.2.bias", order.get(order.size() - 1));

        Map<String, int[]> lsun = UNet.parameterShapes(UNet.Config.lsun256());
        assertFalse(lsun.containsKey("label_emb.weight"), "LSUN is unconditional");
        assertArrayEquals(new int[] {256, 1024}, lsun.get("input_blocks.1.0.emb_layers.1.weight"), "no scale-shift");
        assertArrayEquals(new int[] {1536, 512, 1, 1}, lsun.get("input_blocks.10.1.qkv.weight"), "attention at 32");
        assertFalse(lsun.containsKey("input_blocks.7.1.qkv.weight"), "no attention at 64");
    }

    @Test
    @SuppressWarnings("try")
    void forwardKeepsTheShapeAndAFreshNetworkOutputsZero() {
        Rng rng = new Rng(2);
        for (int classes : new int[] {0, 5}) {
            UNet net = new UNet(tiny(classes, classes > 0, classes > 0), rng);
            for (int b : new int[] {1, 3}) {
                int[] labels = classes > 0 ? new int[b] : null;
                for (int i = 0; labels != null && i < b; i++) {
                    labels[i] = (2 * i + 1) % classes;
                }
                Var y = net.forward(Var.constant(rng.normal(b, 2, 8, 8)), Var.constant(rng.normal(b)), labels);
                assertArrayEquals(new int[] {b, 3, 8, 8}, y.shape());
                assertEquals(0f, y.value().abs().max(false).item(), "zero-initialised out.2: F = 0 at init");
            }
            // once the output convolution is not zero, the output is not either
            net.stateDict().get("out.2.weight").copyFrom(rng.normal(3, 8, 3, 3));
            try (NoGrad ignored = NoGrad.enter()) {
                Tensor y = net.forward(Var.constant(rng.normal(3, 2, 8, 8)), Var.constant(rng.normal(3)),
                        classes > 0 ? new int[] {0, 1, 4} : null).value();
                assertTrue(y.abs().max(false).item() > 0);
            }
        }
        UNet small = new UNet(UNet.Config.small28(), rng);
        assertArrayEquals(new int[] {3, 1, 28, 28}, small.forward(Var.constant(rng.normal(3, 1, 28, 28)),
                Var.constant(rng.normal(3)), null).shape());
    }

    @Test
    void classLabelsChangeTheOutputOfAConditionalNetwork() {
        Rng rng = new Rng(3);
        UNet net = new UNet(tiny(4, true, true), rng);
        net.stateDict().forEach((k, v) -> v.copyFrom(v.add(rng.normal(v.shape()).mul(0.1f))));
        Var x = Var.constant(rng.normal(2, 2, 8, 8));
        Var c = Var.constant(rng.normal(2));
        Tensor a = net.forward(x, c, new int[] {1, 2}).value();
        Tensor b = net.forward(x, c, new int[] {1, 3}).value();
        assertEquals(0f, a.slice(0, 0, 1).maxAbsDiff(b.slice(0, 0, 1)), "sample 0 has the same label");
        assertTrue(a.slice(0, 1, 2).maxAbsDiff(b.slice(0, 1, 2)) > 1e-4, "sample 1 changed its label");
    }

    @Test
    void badConfigsAreRefusedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new UNet.Config(8, 2, 3, 8,
                List.of(2, 3), 1, List.of(4), 0f, 0, 2, -1, false, false, true, 16));
        assertEquals("UNet.Config: 24 channels of level 1 (model channels 8 x 3) are not divisible by 16 groups",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new UNet.Config(28, 1, 1, 32, List.of(1, 2, 2), 2,
                List.of(12), 0f, 0, 1, -1, false, false, true, 8));
        assertEquals("UNet.Config: attention resolution 12 is never reached; the levels have resolutions "
                + "[28, 14, 7]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new UNet.Config(30, 1, 1, 32, List.of(1, 2, 2), 2,
                List.of(), 0f, 0, 1, -1, false, false, true, 8));
        assertEquals("UNet.Config: image size 30 is not divisible by 4 (3 levels halve it 2 times)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new UNet.Config(8, 2, 3, 8, List.of(1, 2), 1,
                List.of(4), 0f, 0, 3, -1, false, false, true, 4));
        assertEquals("UNet.Config: the 16 channels of the attention at resolution 4 cannot be split into 3 heads",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tiny(0, false, false).withDropout(1f));
        assertEquals("UNet.Config: dropout 1.0 must be in [0, 1)", e.getMessage());
    }

    @Test
    void badInputsAreRefusedWithAClearMessage() {
        Rng rng = new Rng(4);
        UNet cond = new UNet(tiny(5, true, false), rng);
        UNet uncond = new UNet(tiny(0, false, false), rng);
        Var x = Var.constant(rng.normal(2, 2, 8, 8));
        Var c = Var.constant(rng.normal(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> uncond.forward(Var.constant(rng.normal(2, 3, 8, 8)), c, null));
        assertEquals("UNet.forward: input [2, 3, 8, 8] is not (B, 2, 8, 8)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> uncond.forward(Var.constant(rng.normal(2, 2, 4, 4)), c, null));
        assertEquals("UNet.forward: input [2, 2, 4, 4] is not (B, 2, 8, 8)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> uncond.forward(x, Var.constant(rng.normal(3)), null));
        assertEquals("UNet.forward: c_noise [3] is not (2) for the batch of 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cond.forward(x, c, null));
        assertEquals("UNet.forward: the model is class-conditional (5 classes) and needs labels", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> uncond.forward(x, c, new int[] {0, 1}));
        assertEquals("UNet.forward: the model is unconditional but labels were given", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cond.forward(x, c, new int[] {0}));
        assertEquals("UNet.forward: 1 labels for a batch of 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cond.forward(x, c, new int[] {0, 5}));
        assertEquals("embedding: index 5 at position 1 is outside [0, 5)", e.getMessage());
    }

    @Test
    void presetsAreFoundByNameAndAnUnknownNameListsTheKnownOnes() {
        assertEquals(List.of("imagenet64", "lsun256", "small28", "small32rgb"), UNet.Config.presetNames());
        assertEquals(UNet.Config.imageNet64(), UNet.Config.preset("imagenet64"));
        assertEquals(UNet.Config.lsun256(), UNet.Config.preset("lsun256"));
        assertEquals(UNet.Config.small28(), UNet.Config.preset("small28"));
        assertEquals(UNet.Config.small32rgb(), UNet.Config.preset("small32rgb"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UNet.Config.preset("imagenet128"));
        assertEquals("UNet.Config: no preset named \"imagenet128\"; the presets are imagenet64, lsun256, small28, "
                + "small32rgb", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> UNet.Config.preset(null));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void withChangesOneComponentAndValidatesTheResult() {
        UNet.Config base = UNet.Config.small28();
        UNet.Config c = base.withModelChannels(64).withChannelMult(1, 2, 4).withNumClasses(10).withDropout(0.1f)
                .withAttentionResolutions(14, 7).withNumHeadChannels(16).withGroups(16).withResblockUpdown(true);
        assertEquals(new UNet.Config(28, 1, 1, 64, List.of(1, 2, 4), 2, List.of(14, 7), 0.1f, 10, 1, 16, true, true,
                true, 16), c);
        assertEquals(base, c.withModelChannels(32).withChannelMult(List.of(1, 2, 2)).withNumClasses(0).withDropout(0f)
                .withAttentionResolutions(List.of(7)).withNumHeadChannels(-1).withGroups(8).withResblockUpdown(false));
        assertEquals(3, base.withInChannels(3).withOutChannels(3).inChannels());
        assertEquals(2, base.withNumResBlocks(1).withNumHeads(2).numHeads());
        assertFalse(base.withScaleShiftNorm(false).withConvResample(false).convResample());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> base.withGroups(7));
        assertTrue(e.getMessage().contains("7 groups"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> base.withImageSize(32));
        assertTrue(e.getMessage().contains("attention resolution 7 is never reached"), e.getMessage());
    }
}
