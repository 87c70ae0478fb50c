package dev.cm4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.data.FashionMnist;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.models.io.Npz;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spark-submit entry point in local[2]: {@code sample} writes shards and a manifest, {@code eval} scores them with
 * the one-machine evaluator's figures, and conflicting options are refused with exit status 1.
 */
class Cm4jSparkTest {
    @TempDir
    Path dir;

    @Test
    void sampleWritesShardsThatEvalScoresAsOneMachineDoes() throws IOException {
        Path ckpt = dir.resolve("cd.safetensors");
        ImageCheckpoint.write(ckpt, "cd", new UNet(SparkSamplerTest.TINY.withImageSize(28), new Rng(7)), 3);
        Path shards = dir.resolve("shards");
        Path png = dir.resolve("grid.png");
        String out = run(0, "sample", "--master", "local[2]", "-c", ckpt.toString(), "-n", "100", "-p", "2",
                "--seed", "4", "-o", shards.toString(), "--png", png.toString());
        assertTrue(out.contains("100 samples"), out);
        assertTrue(Files.size(png) > 0);
        List<String> manifest = Files.readAllLines(shards.resolve(SparkSampler.MANIFEST));
        assertEquals(2, manifest.size(), manifest.toString());

        out = run(0, "eval", "--master", "local[2]", "--samples", shards.toString(), "--reference-count", "200",
                "-p", "2");
        List<Tensor> parts = new ArrayList<>();
        for (String line : manifest) {
            parts.add(Npz.readImages(shards.resolve(line.split("\t")[2])).images());
        }
        Tensor samples = Tensor.concat(0, parts.toArray(new Tensor[0]));
        FashionMnistEvaluator.Report want = FashionMnistEvaluator.committed().evaluate("s", samples, "r",
                FashionMnist.load(FashionMnist.Split.TEST).images().slice(0, 0, 200));
        assertTrue(out.contains(String.format("FD %.4f", want.fd())), want.fd() + " in " + out);
        assertTrue(out.contains(String.format("precision %.4f, recall %.4f", want.precision(), want.recall())), out);
    }

    @Test
    void conflictingOrMissingInputIsRefused() {
        String err = run(1, "eval", "--master", "local[1]", "--samples", dir.toString(), "-c", "x.safetensors");
        assertTrue(err.contains("--samples " + dir), err);
        err = run(1, "eval", "--master", "local[1]", "--samples", dir.toString(), "--reference-count", "100");
        assertTrue(err.contains(dir + " has no " + SparkSampler.MANIFEST), err);
    }

    @Test
    void sweepTrainsEveryCombinationAndPrintsItsTable() {
        Path out = dir.resolve("sweep");
        String text = run(0, "sweep", "--master", "local[2]", "--data", "moons", "--steps", "5", "--width", "8",
                "--samples", "50", "--lr", "1e-3,2e-3", "--batch", "64", "-o", out.toString());
        assertTrue(text.contains("2 settings of 2-D iCT on TWO_MOONS"), text);
        for (String name : new String[] {"lr0.001-c0.1-b64", "lr0.002-c0.1-b64"}) {
            assertTrue(text.contains("| " + name.substring(2, 7) + " | 0.1 | 64 |"), name + " in " + text);
            assertTrue(Files.exists(out.resolve(name).resolve("ict.safetensors")), name);
        }
        String err = run(1, "sweep", "--master", "local[1]", "--data", "spirals", "-o", out.toString());
        assertTrue(err.contains("unknown data set 'spirals'"), err);
    }

    /** Runs the entry point, checks its exit status, returns what it printed (out and err). */
    private static String run(int status, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = System.err;
        PrintStream out = System.out;
        PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        System.setErr(capture);
        System.setOut(capture);
        int rc;
        try {
            rc = Cm4jSpark.run(capture, args);
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(status, rc, text);
        return text;
    }
}
