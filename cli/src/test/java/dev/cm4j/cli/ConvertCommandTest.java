package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.models.io.SafeTensors;
import dev.cm4j.models.io.TorchCheckpoint;
import dev.cm4j.tensor.Tensor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cm4j convert}: a .pt written by PyTorch to safetensors, and one-line refusals of damaged and hostile files. */
class ConvertCommandTest {
    /** Written by models/src/test/resources/torch/make_fixtures.py; the tests run in the module's folder. */
    private static final Path TENSORS = Path.of("..", "models", "src", "test", "resources", "torch", "tensors.pt");

    @TempDir
    Path dir;

    @Test
    void convertsEveryTensorExactlyWithTheScalarsAsMetadata() throws Exception {
        assertTrue(Files.isRegularFile(TENSORS), TENSORS.toAbsolutePath() + " is missing");
        Path out = dir.resolve("sub/t.safetensors");
        CliRun r = CliRun.run("convert", TENSORS.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("11 tensors, 105 elements"), r.out());
        SafeTensors.Contents got = SafeTensors.read(out);
        Map<String, Tensor> want = TorchCheckpoint.read(TENSORS).tensors();
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.tensors().keySet()));
        want.forEach((k, t) -> {
            assertArrayEquals(t.shape(), got.tensors().get(k).shape(), k);
            assertArrayEquals(t.toArray(), got.tensors().get(k).toArray(), k);
        });
        assertEquals(Map.of("step", "7", "converted_from", "tensors.pt"), got.metadata());
    }

    @Test
    void damagedAndHostileFilesAreRefusedInOneLineAndNothingIsWritten() throws Exception {
        byte[] good = Files.readAllBytes(TENSORS);
        // the state dict's OrderedDict renamed, in place and at the same length, to subprocess.check_output
        String s = new String(good, StandardCharsets.ISO_8859_1);
        String hostile = s.replace("collections\nOrderedDict\n", "subprocess\ncheck_output\n");
        assertFalse(hostile.equals(s));
        Path evil = Files.write(dir.resolve("evil.pt"), hostile.getBytes(StandardCharsets.ISO_8859_1));
        Path cut = Files.write(dir.resolve("cut.pt"), java.util.Arrays.copyOf(good, good.length / 2));
        Path out = dir.resolve("out.safetensors");
        for (Object[] c : new Object[][] {{evil, "names the global subprocess.check_output"},
            {cut, "damaged or truncated zip"}, {dir.resolve("none.pt"), "none.pt: no such file"}}) {
            CliRun r = CliRun.run("convert", c[0].toString(), out.toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().startsWith("cm4j convert: " + c[0]), r.err());
            assertTrue(r.err().contains((String) c[1]), r.err());
            assertFalse(r.hasStackTrace(), r.err());
            assertFalse(Files.exists(out), "nothing written for " + c[0]);
        }
        CliRun same = CliRun.run("convert", TENSORS.toString(), TENSORS.toString());
        assertEquals(1, same.code());
        assertTrue(same.err().contains("is the input file"), same.err());
    }
}
