package dev.cm4j.models.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.Conv2d;
import dev.cm4j.models.Linear;
import dev.cm4j.models.Module;
import dev.cm4j.models.ShapeOnly;
import dev.cm4j.models.io.TorchCheckpoint;
import dev.cm4j.models.io.TorchFixtures;
import dev.cm4j.tensor.HalfFormat;
import dev.cm4j.tensor.HalfTensor;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Weights stored in 16 bits ({@link Module#toHalf}): a U-Net with float16 or bfloat16 weights computes bit for bit
 * what the float32 U-Net computes on the widened weights (the same kernels see the same floats); conversion keeps
 * names, order and count; training, saving and copying are refused naming the parameter; the memory of the
 * ImageNet-64 weights at both precisions, counted from the network.
 */
class HalfWeightsTest {

    /** A tiny class-conditional U-Net (attention, scale-shift, resblock up/down) with every parameter random. */
    private static UNet randomNet(long seed) {
        UNet net = new UNet(UNetTest.tiny(3, true, true), new Rng(seed));
        Rng rng = new Rng(seed + 1);
        // the zero-initialised layers (out, proj_out, out_layers.3) would make the output trivially zero
        net.namedParameters().values().forEach(p -> p.value().copyFrom(Tensor.randn(rng, p.shape()).mul(0.3f)));
        net.eval();
        return net;
    }

    private static float[] forward(UNet net) {
        Rng rng = new Rng(99);
        Tensor x = Tensor.randn(rng, 2, 2, 8, 8);
        Tensor cNoise = Tensor.of(new float[] {-2.5f, 3.75f}, 2);
        try (NoGrad ignored = NoGrad.enter()) {
            return net.forward(Var.constant(x), Var.constant(cNoise), new int[] {0, 2}).value().toArray();
        }
    }

    @Test
    void halfForwardIsTheFloat32ForwardOfTheWidenedWeightsBitForBit() {
        float[] full = forward(randomNet(5));
        for (HalfFormat f : HalfFormat.values()) {
            UNet half = randomNet(5);
            half.toHalf(f);
            UNet widened = randomNet(5);
            widened.toHalf(f).toFloat32();
            assertTrue(widened.namedHalfParameters().isEmpty());
            float[] got = forward(half);
            float[] want = forward(widened);
            double maxDiff = 0;
            double maxRef = 0;
            for (int i = 0; i < want.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), f + " output " + i);
                maxDiff = Math.max(maxDiff, Math.abs(got[i] - full[i]));
                maxRef = Math.max(maxRef, Math.abs(full[i]));
            }
            // the rounding of the weights alone, for scale: not a tolerance of the kernels
            System.out.printf("%s weights: output vs the float32 weights max |diff| %.3g of max |out| %.3g%n", f,
                    maxDiff, maxRef);
            assertTrue(maxRef > 0.1 && maxDiff > 0, "a non-trivial output that the rounding changes");
        }
    }

    @Test
    void conversionKeepsNamesOrderCountFlagsAndHalvesTheWeightBytes() {
        UNet net = randomNet(8);
        Map<String, Var> before = net.namedParameters();
        List<String> names = new ArrayList<>(before.keySet());
        Map<String, float[]> values = new java.util.LinkedHashMap<>();
        before.forEach((k, v) -> values.put(k, v.value().toArray()));
        net.namedParameters().get("out.0.weight").setRequiresGrad(false); // a GroupNorm weight: stays float32
        net.namedParameters().get("out.2.weight").setRequiresGrad(false); // a Conv2d weight: stored in 16 bits
        long count = net.parameterCount();
        long fp32Bytes = net.parameterBytes();
        long predicted = net.parameterBytes(HalfFormat.FP16);
        assertEquals(4 * count, fp32Bytes);

        net.toHalf(HalfFormat.FP16);
        Map<String, HalfTensor> half = net.namedHalfParameters();
        assertEquals(count, net.parameterCount());
        assertEquals(predicted, net.parameterBytes());
        // the arrays themselves: 4 bytes per float32 element, 2 per stored 16-bit element
        long arrays = 0;
        for (Var p : net.namedParameters().values()) {
            arrays += 4L * p.value().data().length;
        }
        for (HalfTensor h : half.values()) {
            arrays += 2L * h.bits().length;
        }
        assertEquals(predicted, arrays);
        for (Map.Entry<String, Module> e : net.namedModules().entrySet()) {
            String w = e.getKey() + ".weight";
            boolean large = e.getValue() instanceof Conv2d || e.getValue() instanceof Linear;
            assertEquals(large, half.containsKey(w), w);
        }
        half.forEach((k, h) -> {
            float[] v = values.get(k);
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(v[i])), HalfFormat.FP16.toFloat(h.bits()[i]));
            }
        });
        System.out.printf("tiny U-Net: %d parameters, %d of them in 16 bits; %d bytes at float32, %d with fp16%n",
                count, half.values().stream().mapToLong(HalfTensor::size).sum(), fp32Bytes, net.parameterBytes());

        net.toFloat32();
        assertEquals(names, new ArrayList<>(net.namedParameters().keySet()));
        assertEquals(fp32Bytes, net.parameterBytes());
        assertTrue(!net.namedParameters().get("out.2.weight").requiresGrad());
        assertTrue(!net.namedParameters().get("out.0.weight").requiresGrad());
        assertTrue(net.namedParameters().get("input_blocks.0.0.weight").requiresGrad());
        assertArrayEquals(values.get("out.0.weight"), net.namedParameters().get("out.0.weight").value().toArray());
    }

    @Test
    void trainingSavingAndCopyingHalfWeightsAreRefusedNamingTheParameter() {
        UNet net = randomNet(3);
        net.toHalf(HalfFormat.BF16);
        Tensor x = Tensor.randn(new Rng(1), 1, 2, 8, 8);
        var e = assertThrows(IllegalStateException.class,
                () -> net.forward(Var.param(x), Var.constant(Tensor.of(new float[] {1f}, 1)), new int[] {1}));
        assertTrue(e.getMessage().contains("'time_embed.0.weight' is stored in bf16 for inference only"),
                e.getMessage());
        var s = assertThrows(IllegalStateException.class, net::stateDict);
        assertTrue(s.getMessage().contains("the first 'time_embed.0.weight'") && s.getMessage().contains("toFloat32()"),
                s.getMessage());
        assertThrows(IllegalStateException.class, net::copy);
        var w = assertThrows(IllegalStateException.class, () -> ((Conv2d) net.namedModules().get("out.2")).weight());
        assertTrue(w.getMessage().contains("'out.2.weight' is stored in bf16"), w.getMessage());
        net.toFloat32();
        assertEquals(net.parameterCount(), net.copy().parameterCount());
    }

    @Test
    void float16WeightsOfACheckpointKeepTheirBitsWhenLoadedInFloat16() throws IOException {
        int float16InFile = checkLoadedInHalf("unet_uncond_fp16.pt", false, HalfFormat.FP16);
        // use_fp16 converts the blocks' convolutions (convert_to_fp16); time_embed, the stem and out stay float32
        assertEquals(32, float16InFile, "float16 weights in the file");
    }

    @Test
    void aFloat32CheckpointLoadedInBfloat16IsRoundedToNearestEven() throws IOException {
        assertEquals(0, checkLoadedInHalf("unet_cond_fp32.pt", true, HalfFormat.BF16));
    }

    /**
     * Loads {@code file} at float32 and straight into {@code format} (the 16-bit {@link ReleasedCheckpoint#load},
     * which never builds the float32 network): every 16-bit weight is the float32 load
     * rounded to the format (bit for bit the file's bits where the file holds that format), every other parameter
     * is equal, and the forward is that of the float32 load converted by toHalf. Returns how many weights the file
     * held in float16.
     */
    private static int checkLoadedInHalf(String file, boolean conditional, HalfFormat format) throws IOException {
        var path = TorchFixtures.fixture(file);
        UNet.Config c = ReleasedCheckpointTest.tiny(conditional);
        UNet wide = ReleasedCheckpoint.load(path, c);
        UNet half = ReleasedCheckpoint.load(path, c, format);
        Map<String, TorchCheckpoint.TensorInfo> index = TorchCheckpoint.index(path);
        Map<String, Tensor> state = wide.stateDict();
        int float16InFile = 0;
        Map<String, HalfTensor> halves = half.namedHalfParameters();
        long layers = half.namedModules().values().stream().filter(m -> m instanceof Conv2d || m instanceof Linear)
                .count();
        assertEquals(layers, halves.size(), "one 16-bit weight per convolution and linear layer");
        for (Map.Entry<String, HalfTensor> e : halves.entrySet()) {
            Tensor w = state.get(e.getKey());
            assertArrayEquals(HalfTensor.narrow(w, format).bits(), e.getValue().bits(), e.getKey());
            String saved = index.keySet().stream().filter(k -> k.endsWith(e.getKey())).findFirst().orElseThrow();
            if (index.get(saved).dtype().equals("F16")) {
                float16InFile++;
                assertArrayEquals(w.toArray(), e.getValue().toFloat32().toArray(), e.getKey() + " keeps its bits");
            }
        }
        half.namedParameters().forEach((k, v) -> assertArrayEquals(state.get(k).toArray(), v.value().toArray(), k));
        assertEquals(wide.parameterCount(), half.parameterCount());
        assertEquals(wide.parameterBytes(format), half.parameterBytes());

        wide.toHalf(format);
        wide.eval();
        half.eval();
        Tensor x = Tensor.randn(new Rng(4), 2, 3, 8, 8);
        Tensor cNoise = Tensor.of(new float[] {0.5f, -1f}, 2);
        int[] labels = conditional ? new int[] {3, 9} : null;
        try (NoGrad ignored = NoGrad.enter()) {
            assertArrayEquals(wide.forward(Var.constant(x), Var.constant(cNoise), labels).value().toArray(),
                    half.forward(Var.constant(x), Var.constant(cNoise), labels).value().toArray());
        }
        var e = assertThrows(IllegalStateException.class,
                () -> half.forward(Var.param(x), Var.constant(cNoise), labels));
        assertTrue(e.getMessage().contains("'time_embed.0.weight' is stored in " + format), e.getMessage());
        return float16InFile;
    }

    @Test
    void imageNet64WeightMemoryAtBothPrecisions() {
        try (ShapeOnly ignored = ShapeOnly.enter()) {
            UNet net = new UNet(UNet.Config.imageNet64(), new Rng(0));
            long params = net.parameterCount();
            long fp32 = net.parameterBytes(null);
            long fp16 = net.parameterBytes(HalfFormat.FP16);
            long largest = 0;
            for (Map.Entry<String, Module> e : net.namedModules().entrySet()) {
                if (e.getValue() instanceof Conv2d || e.getValue() instanceof Linear) {
                    largest = Math.max(largest, net.namedParameters().get(e.getKey() + ".weight").size());
                }
            }
            System.out.printf("ImageNet-64: %,d parameters; weights %,d bytes at float32, %,d with fp16/bf16 "
                    + "storage (%.4f); largest 16-bit weight %,d elements%n", params, fp32, fp16,
                    (double) fp16 / fp32, largest);
            assertEquals(295_899_267L, params);
            assertEquals(4 * params, fp32);
            assertEquals(fp16, net.parameterBytes(HalfFormat.BF16));
            assertTrue(fp16 < 0.51 * fp32, fp16 + " vs " + fp32);
        }
    }
}
