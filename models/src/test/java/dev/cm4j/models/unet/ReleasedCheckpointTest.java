package dev.cm4j.models.unet;

import dev.cm4j.autodiff.NoGrad;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.io.CheckpointMismatchException;
import dev.cm4j.models.io.SafeTensors;
import dev.cm4j.models.io.TorchFixtures;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiny U-Nets built by the released code's cm/unet.py and saved by torch.save (make_fixtures.py), loaded into cm4j's
 * UNet: every weight bit for bit (SHA-256 of its float32 bytes, computed by PyTorch), and the forward within 1e-4
 * of PyTorch's float32 output relative to its largest magnitude.
 */
class ReleasedCheckpointTest {
    /** The fixtures' architecture: 8x8, mc 8, mult (1, 2), one ResBlock per level, attention at 4x4, 8-channel heads. */
    static UNet.Config tiny(boolean conditional) {
        return new UNet.Config(8, 3, 3, 8, List.of(1, 2), 1, List.of(4), 0f, conditional ? 10 : 0, 1, 8,
                conditional, conditional, true, 8);
    }

    @Test
    void classConditionalFloat32NetworkLoadsExactlyAndMatchesPyTorch() throws IOException {
        check("unet_cond_fp32", true);
    }

    @Test
    void theReleasedTrainingCodesTwoWaysOfSavingLoadTheSameNetwork() throws IOException {
        // use_fp16: views into two flat float32 master parameters; float32: the parameters, via _rebuild_parameter
        check("unet_cond_fp32_master", "unet_cond_fp32", true);
        check("unet_cond_fp32_params", "unet_cond_fp32", true);
    }

    @Test
    void unconditionalFloat16NetworkInAWrapperLoadsExactlyAndMatchesPyTorch() throws IOException {
        check("unet_uncond_fp16", false);
    }

    private static void check(String name, boolean conditional) throws IOException {
        check(name, name, conditional);
    }

    /** Loads {@code file}.pt and compares it with the hashes and the forward saved for {@code name}. */
    @SuppressWarnings("try")
    private static void check(String file, String name, boolean conditional) throws IOException {
        UNet net = ReleasedCheckpoint.load(TorchFixtures.fixture(file + ".pt"), tiny(conditional));
        // every tensor: shape and SHA-256 of the float32 bytes as PyTorch computed them
        String json = java.nio.file.Files.readString(TorchFixtures.fixture(name + ".json"));
        Map<String, Tensor> state = net.stateDict();
        var expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        assertEquals(expected.size(), state.size());
        state.forEach((k, t) -> {
            assertTrue(expected.has(k), k);
            assertEquals(expected.get(k).get("shape").toString().replace(" ", ""),
                    java.util.Arrays.toString(t.shape()).replace(" ", ""), k);
            assertEquals(expected.get(k).get("sha256").asText(), sha256(t), k + " differs from PyTorch's");
        });

        Map<String, Tensor> io = SafeTensors.read(TorchFixtures.fixture(name + "_forward.safetensors")).tensors();
        int[] labels = null;
        if (conditional) {
            float[] l = io.get("labels").toArray();
            labels = new int[l.length];
            for (int i = 0; i < l.length; i++) {
                labels[i] = (int) l[i];
            }
        }
        float[] got;
        try (NoGrad ignored = NoGrad.enter()) {
            net.eval();
            got = net.forward(Var.constant(io.get("x")), Var.constant(io.get("c_noise")), labels).value().toArray();
        }
        float[] want = io.get("out").toArray();
        double maxAbs = 0, maxRef = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        System.out.printf("%s forward vs PyTorch: max |diff| %.3g, max |ref| %.3g, relative %.3g%n", file, maxAbs,
                maxRef, maxAbs / maxRef);
        assertTrue(maxRef > 0.1, "a forward that is not trivially zero");
        assertTrue(maxAbs <= 1e-4 * maxRef, name + ": max |diff| " + maxAbs + " vs max |ref| " + maxRef);
    }

    @Test
    void aCheckpointOfAnotherArchitectureIsRefusedBeforeLoading() {
        var e = assertThrows(CheckpointMismatchException.class, () -> ReleasedCheckpoint.load(
                TorchFixtures.fixture("unet_cond_fp32.pt"), tiny(false)));
        assertTrue(e.getMessage().contains("unexpected [label_emb.weight"), e.getMessage());
        var f = assertThrows(CheckpointMismatchException.class, () -> ReleasedCheckpoint.load(
                TorchFixtures.fixture("unet_cond_fp32.pt"), tiny(true).withModelChannels(16)));
        assertTrue(f.getMessage().contains("shape mismatch [time_embed.0.weight: saved [32, 8] vs network [64, 16]"),
                f.getMessage());
    }

    private static String sha256(Tensor t) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(t.toArray());
            md.update(b);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
