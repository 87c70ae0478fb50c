package dev.cm4j.consistency.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.editing.Edit;
import dev.cm4j.consistency.editing.Masks;
import dev.cm4j.consistency.KarrasSchedule;
import dev.cm4j.consistency.metrics.FashionMnistEvaluator;
import dev.cm4j.consistency.model.ImageCheckpoint;
import dev.cm4j.consistency.model.Preconditioned;
import dev.cm4j.consistency.model.Preconditioning;
import dev.cm4j.consistency.model.UNetNet;
import dev.cm4j.consistency.schedule.IctSchedule;
import dev.cm4j.consistency.train.Distance;
import dev.cm4j.consistency.train.ImprovedConsistencyTraining;
import dev.cm4j.consistency.train.OptimConfig;
import dev.cm4j.models.unet.UNet;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The facade on a tiny random U-Net (8x8x1) written as a checkpoint: loading, sampling in each unit of time, seeds,
 * editing, saving, and the errors that name the operation and the value.
 */
class ConsistencyModelTest {
    /** 8x8 grayscale, 8 channels, one level, no attention: milliseconds per call. */
    static final UNet.Config TINY = new UNet.Config(8, 1, 1, 8, List.of(1), 1, List.of(), 0f, 0, 1, -1, false,
            false, false, 4);

    static Path checkpoint(Path dir, String role, UNet.Config config) throws IOException {
        Path file = dir.resolve(role + ".safetensors");
        ImageCheckpoint.write(file, role, new UNet(config, new Rng(7)), 12);
        return file;
    }

    @Test
    void sameSeedSameBitsOtherSeedOtherBits(@TempDir Path dir) throws IOException {
        ConsistencyModel m = ConsistencyModel.load(checkpoint(dir, "cd", TINY));
        assertEquals("cd", m.role());
        assertTrue(m.isConsistency());
        assertEquals(12, m.step());
        Tensor a = m.sample(3, Sampling.oneStep(), 42);
        assertArrayEquals(new int[] {3, 1, 8, 8}, a.shape());
        assertArrayEquals(a.toArray(), m.sample(3, Sampling.oneStep(), 42).toArray());
        assertFalse(Arrays.equals(a.toArray(), m.sample(3, Sampling.oneStep(), 43).toArray()));
        for (float v : a.toArray()) {
            assertTrue(v >= -1 && v <= 1, "samples are clamped to [-1, 1]: " + v);
        }
        // one step is Sampling.sigmas(sigmaMax)
        assertArrayEquals(a.toArray(), m.sample(3, Sampling.sigmas(80), 42).toArray());
    }

    @Test
    void aSampleIsTheSameInAnyRunAndAnyRange(@TempDir Path dir) throws IOException {
        ConsistencyModel m = ConsistencyModel.load(checkpoint(dir, "ict", TINY));
        Sampling two = Sampling.sigmas(80, 0.821);
        int per = 8 * 8;
        float[] many = m.sample(ConsistencyModel.BATCH + 2, two, 5).toArray();
        float[] few = m.sample(3, two, 5).toArray();
        assertArrayEquals(few, Arrays.copyOf(many, few.length), "the first samples of a longer run");
        // a range that starts inside a batch and crosses the next one: the bits the whole run gives those samples
        float[] range = m.sampleRange(ConsistencyModel.BATCH - 2, 4, two, 5, -1).toArray();
        assertArrayEquals(Arrays.copyOfRange(many, (ConsistencyModel.BATCH - 2) * per,
                (ConsistencyModel.BATCH + 2) * per), range);
        var e = assertThrows(IllegalArgumentException.class, () -> m.sampleRange(-1, 4, two, 5, -1));
        assertEquals("ConsistencyModel.sampleRange: samples -1 + 4: the first index must be >= 0 and the count >= 1",
                e.getMessage());
    }

    @Test
    void gridIndicesAreTheReleasedForm(@TempDir Path dir) throws IOException {
        ConsistencyModel m = ConsistencyModel.load(checkpoint(dir, "cd", TINY));
        Tensor x = m.sample(2, Sampling.gridIndices(40, 0, 22, 39), 1);
        assertArrayEquals(new int[] {2, 1, 8, 8}, x.shape());
        assertEquals(2, Sampling.gridIndices(40, 0, 22, 39).nfe());
    }

    @Test
    void editKeepsTheKnownPixels(@TempDir Path dir) throws IOException {
        ConsistencyModel m = ConsistencyModel.load(checkpoint(dir, "cd", TINY));
        Tensor y = new Rng(3).uniform(-1, 1, 2, 1, 8, 8);
        Tensor known = Masks.boxes(1, 8, 8, new int[] {2, 2, 4, 4});
        Tensor x = m.edit(y, Edit.inpainting(known), Sampling.sigmas(80, 20), 9);
        assertArrayEquals(x.toArray(), m.edit(y, Edit.inpainting(known), Sampling.sigmas(80, 20), 9).toArray());
        float[] k = known.toArray();
        for (int b = 0; b < 2; b++) {
            for (int p = 0; p < 64; p++) {
                if (k[p] == 1) {
                    assertEquals(y.toArray()[b * 64 + p], x.toArray()[b * 64 + p], 1e-6, "known pixel " + p);
                }
            }
        }
    }

    @Test
    void teacherSamplesWithHeunOnly(@TempDir Path dir) throws IOException {
        ConsistencyModel t = ConsistencyModel.load(checkpoint(dir, "teacher", TINY));
        assertFalse(t.isConsistency());
        assertArrayEquals(new int[] {2, 1, 8, 8}, t.sample(2, Sampling.heun(3), 0).shape());
        var e = assertThrows(IllegalArgumentException.class, () -> t.sample(2, Sampling.oneStep(), 0));
        assertTrue(e.getMessage().startsWith("ConsistencyModel.sample:") && e.getMessage().contains("heun"),
                e.getMessage());
        var ed = assertThrows(IllegalArgumentException.class, () -> t.edit(new Rng(0).normal(1, 1, 8, 8),
                Edit.colorization(8, 8), Sampling.sigmas(80), 0));
        assertTrue(ed.getMessage().contains("EDM teacher"), ed.getMessage());
    }

    @Test
    void errorsNameTheOperationAndTheValue(@TempDir Path dir) throws IOException {
        ConsistencyModel m = ConsistencyModel.load(checkpoint(dir, "cd", TINY));
        var e = assertThrows(IllegalArgumentException.class, () -> m.sample(2, Sampling.sigmas(22, 39), 0));
        assertTrue(e.getMessage().contains("[22.0, 39.0]") && e.getMessage().contains("not grid indices"),
                e.getMessage());
        var h = assertThrows(IllegalArgumentException.class, () -> m.sample(2, Sampling.heun(18), 0));
        assertTrue(h.getMessage().contains("Sampling.oneStep()"), h.getMessage());
        var c = assertThrows(IllegalArgumentException.class, () -> m.sample(0, Sampling.oneStep(), 0));
        assertTrue(c.getMessage().contains("count 0"), c.getMessage());
        var l = assertThrows(IllegalArgumentException.class, () -> m.sample(1, Sampling.oneStep(), 0, 3));
        assertTrue(l.getMessage().contains("unconditional"), l.getMessage());
        var s = assertThrows(IllegalArgumentException.class, () -> m.edit(new Rng(0).normal(1, 3, 8, 8),
                Edit.colorization(8, 8), Sampling.oneStep(), 0));
        assertTrue(s.getMessage().contains("[1, 3, 8, 8]") && s.getMessage().contains("(B, 1, 8, 8)"),
                s.getMessage());
        assertThrows(NoSuchFileException.class, () -> ConsistencyModel.load(dir.resolve("missing.safetensors")));
    }

    @Test
    void saveThenLoadGivesTheSameSamplesAndPngsAreWritten(@TempDir Path dir) throws IOException {
        ConsistencyModel m = ConsistencyModel.load(checkpoint(dir, "ct", TINY));
        Path again = dir.resolve("again.safetensors");
        m.save(again);
        ConsistencyModel back = ConsistencyModel.load(again);
        assertEquals("ct", back.role());
        assertEquals(12, back.step());
        Tensor a = m.sample(4, Sampling.oneStep(), 8);
        assertArrayEquals(a.toArray(), back.sample(4, Sampling.oneStep(), 8).toArray());
        Path png = dir.resolve("out/grid.png");
        ConsistencyModel.savePng(a, png);
        var img = ImageIO.read(png.toFile());
        // 2 x 2 grid of 8x8 images at scale 2 with 2-pixel white lines: 2 + 2 * (16 + 2)
        assertEquals(38, img.getWidth());
        assertEquals(38, img.getHeight());
        assertTrue(Files.size(png) > 0);
    }

    @Test
    void aTrainersModelSamplesAndSavesAsItsRole(@TempDir Path dir) throws IOException {
        Preconditioned student = new Preconditioned(UNetNet.create(TINY, new Rng(1)),
                Preconditioning.consistency(0.5, KarrasSchedule.DEFAULT.sigmaMin()));
        var ict = new ImprovedConsistencyTraining(student, (n, rng) -> rng.uniform(-1, 1, n, 1, 8, 8),
                new ImprovedConsistencyTraining.Config(IctSchedule.paper(2), Distance.ictHuberC(64)),
                OptimConfig.adam(2, 4, 1e-4), 3);
        ict.train();
        ConsistencyModel m = ConsistencyModel.of(ict);
        assertEquals("ict", m.role());
        assertEquals(2, m.step());
        Tensor a = m.sample(2, Sampling.oneStep(), 4);
        m.save(dir.resolve("ict.safetensors"));
        assertArrayEquals(a.toArray(), ConsistencyModel.load(dir.resolve("ict.safetensors")).sample(2,
                Sampling.oneStep(), 4).toArray(), "the trainer's EMA model, saved and loaded, samples the same");
    }

    @Test
    void evaluateScoresFashionMnistShapedImages() throws IOException {
        Tensor samples = new Rng(1).uniform(-1, 1, 8, 1, 28, 28);
        Tensor reference = new Rng(2).uniform(-1, 1, 8, 1, 28, 28);
        FashionMnistEvaluator.Report r = ConsistencyModel.evaluate(samples, reference);
        assertEquals(8, r.sampleCount());
        assertTrue(Double.isFinite(r.fd()) && r.fd() >= 0, "FD " + r.fd());
        var e = assertThrows(IllegalArgumentException.class, () -> ConsistencyModel.evaluate(
                new Rng(1).uniform(-1, 1, 8, 1, 8, 8), reference));
        assertTrue(e.getMessage().contains("[8, 1, 8, 8]"), e.getMessage());
    }
}
