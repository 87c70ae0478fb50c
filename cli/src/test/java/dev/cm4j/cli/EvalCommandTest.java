package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.data.ImageDataset;
import dev.cm4j.consistency.metrics.FashionMnistClassifier;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.models.io.Npz;
import dev.cm4j.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cm4j eval}: scores of an exported sample file, and one-line errors for every input a user can get wrong. */
class EvalCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    private static void refused(CliRun r, String... expected) {
        assertEquals(1, r.code(), r.err());
        for (String e : expected) {
            assertTrue(r.err().contains(e), "expected '" + e + "' in: " + r.err());
        }
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void realImagesExportedAndReadBackScoreLikeRealImages() throws Exception {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST is not installed at "
                + FashionMnist.DEFAULT_DIR + " (" + FashionMnist.APT_COMMAND + ")");
        // 1000 training images through the .npz export, scored against the test set: real images, so precision and
        // recall are high and the FD small, and the file's images come back exactly
        ImageDataset train = FashionMnist.load(FashionMnist.Split.TRAIN);
        int n = 1000;
        Tensor images = train.images().slice(0, 0, n);
        Path f = dir.resolve("real.npz");
        Npz.writeImages(f, images, Arrays.copyOf(train.labels(), n));
        assertTrue(Arrays.equals(images.toArray(), Npz.readImages(f).images().toArray()));

        CliRun r = run("eval", f.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals(FashionMnistEvaluator.LABEL, j.get("metric").asText());
        assertEquals(n, j.get("sample_count").asInt());
        assertEquals(10_000, j.get("reference_count").asInt());
        assertEquals(3, j.get("k").asInt());
        assertEquals(FashionMnistClassifier.SHA256, j.get("classifier_sha256").asText());
        System.out.println("1000 training images vs the test set: " + r.out().strip());
        assertTrue(j.get("precision").asDouble() > 0.6, r.out());
        assertTrue(j.get("fd").asDouble() >= 0, r.out());

        // noise instead of clothes: far worse on every score
        Tensor noise = new dev.cm4j.tensor.Rng(1).uniform(-1f, 1f, n, 1, 28, 28);
        Path g = dir.resolve("noise.npz");
        Npz.writeImages(g, noise, null);
        CliRun bad = run("eval", g.toString(), "--json");
        assertEquals(0, bad.code(), bad.err());
        JsonNode b = new ObjectMapper().readTree(bad.out());
        assertTrue(b.get("fd").asDouble() > 10 * j.get("fd").asDouble(), bad.out());
        assertTrue(b.get("precision").asDouble() < j.get("precision").asDouble(), bad.out());

        CliRun text = run("eval", f.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith(FashionMnistEvaluator.LABEL) && text.out().contains("not comparable with "
                + "Inception FID") && text.out().contains("precision"), text.out());
    }

    @Test
    void wrongSamplesAreRefusedInOneLine() throws Exception {
        refused(run("eval"), "give the .npz of samples");
        refused(run("eval", dir.resolve("missing.npz").toString()), "missing.npz: no such file");
        Path rgb = dir.resolve("rgb.npz");
        Npz.writeImages(rgb, Tensor.zeros(5, 3, 32, 32), null);
        refused(run("eval", rgb.toString()), "rgb.npz", "32 x 32 pixels with 3 channel(s)", "28 x 28 x 1");
        Path floats = dir.resolve("floats.npz");
        Npz.write(floats, Map.of(Npz.IMAGES, Tensor.zeros(5, 28, 28, 1)), Map.of());
        refused(run("eval", floats.toString()), "floats.npz", "float32", "uint8");
        Path few = dir.resolve("few.npz");
        Npz.writeImages(few, Tensor.zeros(3, 1, 28, 28), null);
        refused(run("eval", few.toString()), "few.npz: 3 images", "k = 3");
        Path notZip = Files.writeString(dir.resolve("text.npz"), "hello");
        refused(run("eval", notZip.toString()), "text.npz", "zip");
    }

    @Test
    void wrongOptionsAreRefusedInOneLine() throws Exception {
        Path f = dir.resolve("ok.npz");
        Npz.writeImages(f, Tensor.zeros(5, 1, 28, 28), null);
        refused(run("eval", f.toString(), "--reference", "validation"), "--reference validation", "test or train");
        refused(run("eval", f.toString(), "--floor"), "--floor", "ok.npz");
        refused(run("eval", "--floor", "--floor-count", "2"), "--floor-count 2");
        refused(run("eval", "--floor", "--reference", "train"), "--reference train");
        refused(run("eval", f.toString(), "--data", dir.resolve("nowhere").toString()), "nowhere",
                FashionMnist.APT_COMMAND);
        refused(run("eval", "train-classifier", "--epochs", "0"), "--epochs 0");
        refused(run("eval", "train-classifier", "--out", dir.toString()), "--out " + dir);
    }
}
