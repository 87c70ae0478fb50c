package dev.cm4j.models.unet;

import dev.cm4j.autodiff.StateCheck;
import dev.cm4j.models.io.CheckpointMismatchException;
import dev.cm4j.models.io.TorchCheckpoint;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Loads a U-Net state dict saved by PyTorch ({@code torch.save(model.state_dict(), f)} in openai/consistency_models,
 * the released CD/CT/EDM checkpoints) into cm4j's {@link UNet} by parameter name. The names and shapes in the file
 * are checked against {@link UNet#parameterShapes} before any weight is allocated; float16 and bfloat16 weights (the
 * convolutions of a {@code use_fp16} model) widen to float32 exactly. A state dict wrapped in one dict
 * ({@code {"model": state_dict, ...}}) is unwrapped.
 *
 * <p>The network computes in float32. The released code on CUDA runs a {@code use_fp16} model's convolutions in
 * float16 and its attention through flash_attn (QKVFlashAttention of its cm/unet.py), so its outputs differ from
 * cm4j's by float16 rounding; against the same network in float32, cm4j's forward agrees within 1e-6 relative
 * (ReleasedCheckpointTest and docs/PERFORMANCE.md).
 *
 * <p>Memory: the network at float32, 4 bytes per parameter (ImageNet-64: 295,899,267 parameters, 1.18 GB; LSUN-256:
 * 526,304,771, 2.11 GB), plus one 1 MiB read buffer; the file is streamed into the network's own arrays.
 */
public final class ReleasedCheckpoint {
    private ReleasedCheckpoint() {
    }

    /**
     * The U-Net of {@code config} with the weights of {@code file}.
     *
     * @throws CheckpointMismatchException when the file's tensors are not exactly the network's names and shapes
     *                                     (listing the missing, unexpected and mismatched ones)
     * @throws dev.cm4j.models.io.CheckpointFormatException when the file is damaged or hostile
     */
    public static UNet load(Path file, UNet.Config config) throws IOException {
        Map<String, int[]> live = UNet.parameterShapes(config);
        Map<String, int[]> saved = new LinkedHashMap<>();
        TorchCheckpoint.index(file).forEach((k, v) -> saved.put(k, v.shape()));
        String prefix = wrapper(saved.keySet(), live.keySet());
        Map<String, int[]> unwrapped = new LinkedHashMap<>();
        saved.forEach((k, v) -> unwrapped.put(k.substring(prefix.length()), v));
        try {
            StateCheck.requireSameShapes("its state dict" + (prefix.isEmpty() ? "" : " (under '" + prefix + "')")
                    + " is not the U-Net " + config, live, unwrapped, "network");
        } catch (IllegalArgumentException e) {
            throw new CheckpointMismatchException(file, e.getMessage());
        }
        UNet net = new UNet(config, new Rng(0));
        Map<String, Tensor> targets = new LinkedHashMap<>();
        net.stateDict().forEach((k, v) -> targets.put(prefix + k, v));
        TorchCheckpoint.readInto(file, targets);
        return net;
    }

    /** "model." when every saved name starts with that one dict name and the network's names do not; else "". */
    private static String wrapper(Set<String> saved, Set<String> live) {
        if (saved.isEmpty() || saved.stream().anyMatch(live::contains)) {
            return "";
        }
        String first = saved.iterator().next();
        int dot = first.indexOf('.');
        if (dot < 0) {
            return "";
        }
        String prefix = first.substring(0, dot + 1);
        return saved.stream().allMatch(k -> k.startsWith(prefix)) ? prefix : "";
    }
}
