package dev.cm4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.api.ConsistencyModel;
import dev.cm4j.consistency.api.Sampling;
import dev.cm4j.consistency.data.ImageGrid;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.models.io.Npz;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distributed sampling of a tiny random U-Net (8x8x1): the samples of 1, 2 and 3 partitions are bit-identical to
 * {@link ConsistencyModel#sample} on one machine for every kind of sampling, the .npz shards hold them, a failed task
 * is retried into the same output, and bad input is refused with the value named.
 */
class SparkSamplerTest {
    /** 8x8 grayscale, 8 channels, one level, no attention: milliseconds per call. */
    static final UNet.Config TINY = new UNet.Config(8, 1, 1, 8, List.of(1), 1, List.of(), 0f, 0, 1, -1, false,
            false, false, 4);
    /** 150 samples: two full batches of 64 and one of 22. */
    static final int COUNT = 150;

    static JavaSparkContext sc;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        sc = LocalSpark.start("SparkSamplerTest");
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    static Path checkpoint(String role, UNet.Config config) throws IOException {
        Path file = dir.resolve(role + "-" + config.numClasses() + ".safetensors");
        if (!Files.exists(file)) {
            ImageCheckpoint.write(file, role, new UNet(config, new Rng(7)), 12);
        }
        return file;
    }

    @Test
    void rangesCoverTheSamplesInWholeBatches() {
        for (int parts = 1; parts <= 5; parts++) {
            List<int[]> r = SparkSampler.ranges(COUNT, parts);
            assertEquals(Math.min(parts, 3), r.size(), "three batches fill at most three ranges");
            int next = 0;
            for (int[] x : r) {
                assertEquals(next, x[0]);
                assertEquals(0, x[0] % ConsistencyModel.BATCH, "a range starts on a batch boundary");
                next += x[1];
            }
            assertEquals(COUNT, next);
        }
        assertThrows(IllegalArgumentException.class, () -> SparkSampler.ranges(0, 2));
    }

    @Test
    void aRangeOnOneMachineIsTheFacadesSamplesForEveryKindOfSampling() throws IOException {
        ConsistencyModel cd = ConsistencyModel.load(checkpoint("cd", TINY));
        ConsistencyModel teacher = ConsistencyModel.load(checkpoint("teacher", TINY));
        ConsistencyModel classes = ConsistencyModel.load(checkpoint("cd", TINY.withNumClasses(3)));
        record Case(ConsistencyModel model, Sampling sampling, int label) {
        }
        for (Case c : List.of(new Case(cd, Sampling.oneStep(), -1), new Case(cd, Sampling.sigmas(80, 0.821), -1),
                new Case(cd, Sampling.gridIndices(40, 0, 22, 39), -1), new Case(teacher, Sampling.heun(3), -1),
                new Case(classes, Sampling.oneStep(), -1), new Case(classes, Sampling.sigmas(80, 2), 1))) {
            Tensor whole = c.model.sample(COUNT, c.sampling, 42, c.label);
            for (int[] r : new int[][] {{0, COUNT}, {64, 86}, {128, 22}, {0, 64}, {10, 5}, {63, 3}, {149, 1}}) {
                ImageBlock b = SampleRange.sample(c.model, c.sampling, 42, c.label, r[0], r[1]);
                assertArrayEquals(whole.slice(0, r[0], r[0] + r[1]).toArray(), b.pixels(),
                        c.sampling + ": samples " + r[0] + " + " + r[1]);
                if (c.model.config().numClasses() > 0) {
                    assertEquals(c.label < 0 ? r[0] % 3 : c.label, b.labels()[0]);
                } else {
                    assertNull(b.labels());
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SampleRange.sample(cd, Sampling.oneStep(), 42, -1, -1, 5));
        assertTrue(e.getMessage().contains("samples -1 + 5"), e.getMessage());
    }

    @Test
    void oneTwoAndThreePartitionsGiveTheOneMachineBits() throws IOException {
        Path ckpt = checkpoint("cd", TINY);
        Sampling two = Sampling.sigmas(80, 0.821);
        Tensor expected = ConsistencyModel.load(ckpt).sample(COUNT, two, 5);
        SparkSampler sampler = new SparkSampler(sc);
        for (int parts = 1; parts <= 3; parts++) {
            long t0 = System.nanoTime();
            ImageBlock all = SparkSampler.collect(sampler.sample(ckpt, true, COUNT, two, 5, -1, parts));
            System.out.printf("%d partitions: %d two-step samples in %.2f s, bit-identical%n", parts, COUNT,
                    (System.nanoTime() - t0) / 1e9);
            assertArrayEquals(expected.toArray(), all.pixels(), parts + " partitions");
        }
        int loads = ModelCache.loads(ModelCache.digest(Files.readAllBytes(ckpt)) + ":ema");
        assertTrue(loads >= 1 && loads <= 2, "a model per task slot (2), not per task (6): " + loads);
    }

    @Test
    void shardsHoldTheSamplesAndARetriedTaskLeavesTheSameOutput() throws IOException {
        Path ckpt = checkpoint("cd", TINY.withNumClasses(3));
        Tensor expected = ConsistencyModel.load(ckpt).sample(COUNT, Sampling.oneStep(), 9);
        JavaRDD<ImageBlock> blocks = new SparkSampler(sc).sample(ckpt, true, COUNT, Sampling.oneStep(), 9, -1, 3)
                .map(b -> {
                    // the first attempt of the task of the second range dies; Spark runs it again
                    if (b.first() == 64 && TaskContext.get().attemptNumber() == 0) {
                        throw new IllegalStateException("executor lost (test)");
                    }
                    return b;
                });
        Path out = dir.resolve("shards");
        assertEquals(COUNT, SparkSampler.writeNpz(blocks, out));
        List<String> manifest = Files.readAllLines(out.resolve(SparkSampler.MANIFEST));
        assertEquals(List.of("0\t64\tsamples-000000000.npz", "64\t64\tsamples-000000064.npz",
                "128\t22\tsamples-000000128.npz"), manifest);
        for (String line : manifest) {
            String[] f = line.split("\t");
            int first = Integer.parseInt(f[0]);
            int n = Integer.parseInt(f[1]);
            Path local = dir.resolve("local-" + first + ".npz");
            Tensor slice = expected.slice(0, first, first + n);
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (first + i) % 3;
            }
            ImageGrid.npz(local, slice, labels);
            Npz.Contents want = Npz.read(local);
            Npz.Contents got = Npz.read(out.resolve(f[2]));
            assertArrayEquals(want.bytes().get(Npz.IMAGES).data(), got.bytes().get(Npz.IMAGES).data(), line);
            assertArrayEquals(want.ints().get(Npz.LABELS), got.ints().get(Npz.LABELS), line);
        }
        try (var files = Files.list(out)) {
            assertEquals(4, files.count(), "three shards and the manifest, no temporary file left");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkSampler.writeNpz(blocks, out));
        assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
    }

    @Test
    void badInputIsRefusedOnTheDriverWithTheValue() throws IOException {
        SparkSampler sampler = new SparkSampler(sc);
        Path missing = dir.resolve("missing.safetensors");
        assertThrows(NoSuchFileException.class, () -> sampler.sample(missing, true, 10, Sampling.oneStep(), 0, -1,
                2));
        Path cd = checkpoint("cd", TINY);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(cd, true, 10, Sampling.heun(18), 0, -1, 2));
        assertTrue(e.getMessage().contains("Heun"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(cd, true, 10, Sampling.oneStep(), 0, 2, 2));
        assertTrue(e.getMessage().contains("label 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(cd, true, 0, Sampling.oneStep(), 0, -1, 2));
        assertTrue(e.getMessage().contains("count 0"), e.getMessage());
        // a task that fails every attempt fails the job: nothing is presented as complete
        JavaRDD<ImageBlock> dying = sampler.sample(cd, true, 10, Sampling.oneStep(), 0, -1, 1).map(b -> {
            throw new IllegalStateException("executor lost for good (test)");
        });
        Path out = dir.resolve("dying");
        assertThrows(SparkException.class, () -> SparkSampler.writeNpz(dying, out));
        assertTrue(!Files.exists(out.resolve(SparkSampler.MANIFEST)), "no manifest after a failed job");
    }
}
