package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cm4j sample --model}: the options of the released networks are checked before their weights are read, and a
 * checkpoint of another network is refused by name and shape before any weight is allocated.
 */
class SampleReleasedTest {
    /** A state dict of eleven small tensors written by PyTorch (models/src/test/resources/torch). */
    private static final Path TENSORS = Path.of("..", "models", "src", "test", "resources", "torch", "tensors.pt");

    @TempDir
    Path dir;

    private void refused(String expected, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "sample";
        all[1] = "-o";
        all[2] = dir.resolve("s.png").toString();
        System.arraycopy(args, 0, all, 3, args.length);
        CliRun r = CliRun.run(all);
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
        assertFalse(r.hasStackTrace(), r.err());
        assertFalse(Files.exists(dir.resolve("s.png")));
    }

    @Test
    void optionsOfTheReleasedNetworksAreCheckedFirst() {
        String none = dir.resolve("absent.pt").toString();
        refused("--model small28: the released networks are [imagenet64, lsun256]", "-c", none, "--model", "small28");
        refused("--class 1000: must be between -1 and 999", "-c", none, "--model", "imagenet64", "--class", "1000");
        refused("--class 3: --model lsun256 is an unconditional model", "-c", none, "--model", "lsun256", "--class",
                "3");
        refused("--times: --model imagenet64 is an EDM teacher", "-c", none, "--model", "imagenet64", "--heun-steps",
                "18", "--times", "80");
        refused("--online: a released checkpoint holds one set of weights", "-c", none, "--model", "imagenet64",
                "--online");
        refused("absent.pt", "-c", none, "--model", "imagenet64");
        refused("--precision fp8: expected fp32, fp16 or bf16", "-c", none, "--model", "imagenet64", "--precision",
                "fp8");
        refused("--precision bf16: applies to a released checkpoint (--model)", "-c", none, "--precision", "bf16");
        refused("absent.pt", "-c", none, "--model", "imagenet64", "--precision", "fp16");
        refused("--ts [0, 22, 39]: give the times either as sigmas (--times) or as grid indices (--ts), not both", "-c",
                none, "--model", "imagenet64", "--ts", "0,22,39", "--times", "80");
        refused("--ts: --model imagenet64 is an EDM teacher", "-c", none, "--model", "imagenet64", "--heun-steps", "18",
                "--ts", "0,39");
        refused("--ts [0, 22, 30] --steps 40: MultistepSampler: indices [0, 22, 30] must end at 39", "-c", none,
                "--model", "imagenet64", "--ts", "0,22,30");
        refused("--ts [22, 0, 39] --steps 40: MultistepSampler: indices [22, 0, 39] must increase within [0, 39]", "-c",
                none, "--model", "imagenet64", "--ts", "22,0,39");
        refused("--steps 18: the points of the grid --ts indexes; give --ts", "-c", none, "--model", "imagenet64",
                "--steps", "18");
    }

    @Test
    void aCheckpointOfAnotherNetworkIsRefusedByNameAndShape() {
        assertTrue(Files.isRegularFile(TENSORS), TENSORS.toAbsolutePath() + " is missing");
        refused("is not the U-Net", "-c", TENSORS.toString(), "--model", "imagenet64", "--class", "3");
        refused("missing [time_embed.0.weight", "-c", TENSORS.toString(), "--model", "lsun256");
    }
}
