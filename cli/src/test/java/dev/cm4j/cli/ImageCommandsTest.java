package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cm4j.models.io.TrainingState;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image recipes end to end in their --smoke setting on the first 256 Fashion-MNIST training images (Debian's
 * dataset-fashion-mnist): teacher, distillation from its checkpoint, and sampling; a class-conditional iCT model
 * and sampling by class; a run stopped half-way and resumed ends with the same checkpoint bytes as one that went
 * straight through.
 */
class ImageCommandsTest {
    private static void ok(CliRun r) {
        assertEquals(0, r.code(), r.err() + r.out());
    }

    private static JsonNode manifest(Path dir) throws IOException {
        return new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
    }

    /** The uint8 array arr_0 of an .npz written by sample: its shape, checked against the .npy header. */
    private static byte[] npzArr0(Path npz, String shape) throws IOException {
        try (ZipFile zip = new ZipFile(npz.toFile())) {
            ZipEntry e = zip.getEntry("arr_0.npy");
            try (InputStream in = zip.getInputStream(e)) {
                byte[] b = in.readAllBytes();
                int headerLen = ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
                String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
                assertTrue(header.contains("'descr': '|u1'") && header.contains("'shape': " + shape), header);
                return java.util.Arrays.copyOfRange(b, 10 + headerLen, b.length);
            }
        }
    }

    @Test
    void teacherThenDistillationThenSampling(@TempDir Path dir) throws Exception {
        Path teacher = dir.resolve("teacher");
        ok(CliRun.run("train-teacher", "--smoke", "-o", teacher.toString()));
        assertTrue(Files.exists(teacher.resolve("teacher.safetensors")));
        assertTrue(Files.exists(teacher.resolve("samples/teacher-0000010.png")), "the grid of step 10");
        assertTrue(Files.exists(teacher.resolve("samples/teacher-0000020.png")), "the grid of the last step");
        assertTrue(Files.exists(teacher.resolve("loss.png")));
        assertEquals(21, Files.readAllLines(teacher.resolve("teacher.loss.csv")).size(), "header and 20 steps");
        JsonNode tm = manifest(teacher);
        assertEquals("complete", tm.path("status").asText());
        assertEquals(20, tm.path("phases").path("teacher").path("steps_trained").asLong());

        Path cd = dir.resolve("cd");
        ok(CliRun.run("distill", "--smoke", "--teacher", teacher.resolve("teacher.safetensors").toString(), "-o",
                cd.toString()));
        JsonNode cm = manifest(cd);
        assertEquals("complete", cm.path("status").asText());
        // the student names the teacher's EMA weights as its parent
        assertEquals(tm.path("phases").path("teacher").path("ema_content_hash").asText(),
                cm.path("phases").path("cd").path("identity").path("parent").asText());

        Path png = dir.resolve("out/cd.png");
        Path npz = dir.resolve("out/cd.npz");
        CliRun sampled = CliRun.run("sample", "-c", cd.resolve("cd.safetensors").toString(), "-o", png.toString(),
                "--npz", npz.toString(), "-n", "10", "--batch", "4", "--times", "80,0.821");
        ok(sampled);
        assertTrue(sampled.out().contains("2 NFE"), sampled.out());
        byte[] pixels = npzArr0(npz, "(10, 28, 28, 1)");
        assertEquals(10 * 28 * 28, pixels.length);
        BufferedImage grid = ImageIO.read(png.toFile());
        assertTrue(grid.getWidth() > 28 && grid.getHeight() > 28, grid.getWidth() + "x" + grid.getHeight());
        // the same seed gives the same bits, whatever the batch; the first samples of a run are a shorter run's
        Path again = dir.resolve("out/again.npz");
        ok(CliRun.run("sample", "-c", cd.resolve("cd.safetensors").toString(), "-o", dir.resolve("out/a.png")
                .toString(), "--npz", again.toString(), "-n", "10", "--batch", "7", "--times", "80,0.821"));
        assertArrayEquals(pixels, npzArr0(again, "(10, 28, 28, 1)"));
        Path fewer = dir.resolve("out/fewer.npz");
        ok(CliRun.run("sample", "-c", cd.resolve("cd.safetensors").toString(), "-o", dir.resolve("out/f.png")
                .toString(), "--npz", fewer.toString(), "-n", "3", "--times", "80,0.821"));
        assertArrayEquals(java.util.Arrays.copyOf(pixels, 3 * 28 * 28), npzArr0(fewer, "(3, 28, 28, 1)"));
        // the released scripts' grid indices: 0 and 22 of 40 points are sigma 80 and 1.38237
        CliRun indexed = CliRun.run("sample", "-c", cd.resolve("cd.safetensors").toString(), "-o",
                dir.resolve("out/ts.png").toString(), "-n", "4", "--ts", "0,22,39", "--steps", "40");
        ok(indexed);
        assertTrue(indexed.out().contains("2 NFE") && indexed.out().contains("[80.0, 1.38236"), indexed.out());

        CliRun heun = CliRun.run("sample", "-c", teacher.resolve("teacher.safetensors").toString(), "-o",
                dir.resolve("out/teacher.png").toString(), "-n", "4", "--heun-steps", "4");
        ok(heun);
        assertTrue(heun.out().contains("7 NFE"), heun.out());
    }

    @Test
    void improvedConsistencyTrainingFromAConfigFileThenSampling(@TempDir Path dir) throws Exception {
        Path ict = dir.resolve("ict");
        Path config = dir.resolve("ict.properties");
        // the file sets two options; the command line overrides one of them
        Files.writeString(config, "steps=16\nsample-every=6\nflip=true\nclass-conditional=true\n");
        ok(CliRun.run("train-ict", "--smoke", "--config", config.toString(), "--steps", "12", "-o", ict.toString()));
        JsonNode m = manifest(ict);
        assertEquals(12, m.path("options").path("steps").asLong(), "the flag overrides the file");
        assertTrue(m.path("options").path("flip").asBoolean(), "a flag from the file");
        assertTrue(m.path("options").path("class_conditional").asBoolean(), "a flag from the file");
        assertTrue(m.path("phases").path("ict").path("identity").path("config").asText().contains("numClasses=10"));
        assertTrue(Files.exists(ict.resolve("samples/ict-0000006.png")), "--sample-every from the file");
        assertTrue(Files.exists(ict.resolve("samples/ict-0000012.png")));
        Path npz = dir.resolve("ict.npz");
        CliRun s = CliRun.run("sample", "-c", ict.resolve("ict.safetensors").toString(), "-o",
                dir.resolve("ict.png").toString(), "--npz", npz.toString(), "-n", "6");
        ok(s);
        assertTrue(s.out().contains("one-step") && s.out().contains("1 NFE"), s.out());
        assertEquals(6 * 28 * 28, npzArr0(npz, "(6, 28, 28, 1)").length);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5}, npzLabels(npz), "classes in turn");
        ok(CliRun.run("sample", "-c", ict.resolve("ict.safetensors").toString(), "-o",
                dir.resolve("ict3.png").toString(), "--npz", npz.toString(), "-n", "3", "--class", "7"));
        assertArrayEquals(new long[] {7, 7, 7}, npzLabels(npz), "--class 7");
    }

    /** The labels arr_1 (int64) of an .npz written by sample. */
    private static long[] npzLabels(Path npz) throws IOException {
        try (ZipFile zip = new ZipFile(npz.toFile()); InputStream in = zip.getInputStream(zip.getEntry("arr_1.npy"))) {
            ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            int start = 10 + (b.getShort(8) & 0xFFFF);
            long[] out = new long[(b.capacity() - start) / 8];
            for (int i = 0; i < out.length; i++) {
                out[i] = b.getLong(start + 8 * i);
            }
            return out;
        }
    }

    /**
     * N steps straight against N/2, a stop (as a killed run's last checkpoint) and a resume for the other N/2: the
     * checkpoints hold the same bytes (weights, EMA, optimiser moments, generator positions), for iCT (dropout masks
     * shared between its passes) and for distillation (a target network with its own dropout generators).
     */
    @Test
    void aRunStoppedHalfWayAndResumedEqualsOneStraightThrough(@TempDir Path dir) throws Exception {
        String[] ict = {"train-ict", "--smoke", "--steps", "8", "--sample-every", "0"};
        Path straight = dir.resolve("straight");
        Path pieces = dir.resolve("pieces");
        ok(CliRun.run(cat(ict, "-o", straight.toString())));
        CliRun first = CliRun.run(cat(ict, "-o", pieces.toString(), "--stop-at", "4"));
        ok(first);
        assertTrue(first.out().contains("stopped at step 4"), first.out());
        assertEquals("running", manifest(pieces).path("status").asText());
        CliRun second = CliRun.run(cat(ict, "-o", pieces.toString(), "--resume"));
        ok(second);
        assertTrue(second.out().contains("resumed from step 4 of 8"), second.out());
        assertArrayEquals(Files.readAllBytes(straight.resolve("ict.safetensors")),
                Files.readAllBytes(pieces.resolve("ict.safetensors")), "iCT: 8 steps vs 4 + 4");
        assertEquals(TrainingState.contentHash(straight.resolve("ict.safetensors")),
                manifest(pieces).path("phases").path("ict").path("content_hash").asText());
        assertEquals(9, Files.readAllLines(pieces.resolve("ict.loss.csv")).size(), "the loss log covers all 8 steps");

        // distillation, from a teacher of 2 steps
        Path teacher = dir.resolve("teacher");
        ok(CliRun.run("train-teacher", "--smoke", "--steps", "2", "--sample-every", "0", "-o", teacher.toString()));
        String[] cd = {"distill", "--smoke", "--steps", "6", "--sample-every", "0", "--mu", "0.95", "--dropout", "0.1",
            "--teacher", teacher.resolve("teacher.safetensors").toString()};
        ok(CliRun.run(cat(cd, "-o", dir.resolve("cd-straight").toString())));
        ok(CliRun.run(cat(cd, "-o", dir.resolve("cd-pieces").toString(), "--stop-at", "3")));
        ok(CliRun.run(cat(cd, "-o", dir.resolve("cd-pieces").toString(), "--resume")));
        assertArrayEquals(Files.readAllBytes(dir.resolve("cd-straight/cd.safetensors")),
                Files.readAllBytes(dir.resolve("cd-pieces/cd.safetensors")), "CD: 6 steps vs 3 + 3");

        // easy consistency tuning from the same teacher, two stages of 3 steps, cut inside the second stage
        String[] ect = {"train-ect", "--smoke", "--steps", "6", "--stages", "2", "--sample-every", "0",
            "--teacher", teacher.resolve("teacher.safetensors").toString()};
        ok(CliRun.run(cat(ect, "-o", dir.resolve("ect-straight").toString())));
        ok(CliRun.run(cat(ect, "-o", dir.resolve("ect-pieces").toString(), "--stop-at", "4")));
        ok(CliRun.run(cat(ect, "-o", dir.resolve("ect-pieces").toString(), "--resume")));
        assertArrayEquals(Files.readAllBytes(dir.resolve("ect-straight/ect.safetensors")),
                Files.readAllBytes(dir.resolve("ect-pieces/ect.safetensors")), "ECT: 6 steps vs 4 + 2");
        JsonNode em = manifest(dir.resolve("ect-straight"));
        assertEquals(3, em.path("options").path("stage_length").asLong(), "6 steps in 2 stages");
        // the tuned model names the teacher's EMA weights as its parent
        assertEquals(manifest(teacher).path("phases").path("teacher").path("ema_content_hash").asText(),
                em.path("phases").path("ect").path("identity").path("parent").asText());
        // the tuned model samples as a consistency model
        CliRun s = CliRun.run("sample", "-c", dir.resolve("ect-straight/ect.safetensors").toString(), "-o",
                dir.resolve("ect.png").toString(), "-n", "4", "--times", "80,0.821");
        ok(s);
        assertTrue(s.out().contains("2 NFE"), s.out());
    }

    /**
     * Distillation with teacher substeps: the manifest records them (and only when they are not 1), a run stopped and
     * resumed equals one straight through, the substeps change the run, and a resume without them is refused.
     */
    @Test
    void substepsAreRecordedAndAResumeWithoutThemIsRefused(@TempDir Path dir) throws Exception {
        Path teacher = dir.resolve("teacher");
        ok(CliRun.run("train-teacher", "--smoke", "--steps", "2", "--sample-every", "0", "-o", teacher.toString()));
        String[] cd = {"distill", "--smoke", "--steps", "4", "--sample-every", "0", "--n", "6",
            "--teacher", teacher.resolve("teacher.safetensors").toString()};
        String[] sub = cat(cd, "--substeps", "3");
        Path straight = dir.resolve("straight");
        Path pieces = dir.resolve("pieces");
        ok(CliRun.run(cat(sub, "-o", straight.toString())));
        assertEquals(3, manifest(straight).path("options").path("substeps").asInt(-1),
                manifest(straight).path("options").toString());
        ok(CliRun.run(cat(sub, "-o", pieces.toString(), "--stop-at", "2")));
        ok(CliRun.run(cat(sub, "-o", pieces.toString(), "--resume")));
        assertArrayEquals(Files.readAllBytes(straight.resolve("cd.safetensors")),
                Files.readAllBytes(pieces.resolve("cd.safetensors")), "4 steps vs 2 + 2");
        Path one = dir.resolve("one");
        ok(CliRun.run(cat(cd, "-o", one.toString())));
        assertTrue(manifest(one).path("options").path("substeps").isMissingNode(), "one substep is not recorded");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(straight.resolve("cd.safetensors")),
                Files.readAllBytes(one.resolve("cd.safetensors"))), "the substeps change the run");
        CliRun wrong = CliRun.run(cat(cd, "-o", pieces.toString(), "--resume"));
        assertTrue(wrong.code() != 0 && wrong.err().contains("--substeps"), "a resume without --substeps: "
                + wrong.err());
    }

    /**
     * iCT with the batch's estimate of the clean image: the manifest records the target, a run stopped and resumed
     * equals one straight through, and a resume with the paper's target is refused as another run's.
     */
    @Test
    void theBatchTargetIsRecordedAndResumes(@TempDir Path dir) throws Exception {
        String[] ict = {"train-ict", "--smoke", "--steps", "6", "--sample-every", "0", "--target", "batch",
            "--extra-references", "4"};
        Path straight = dir.resolve("straight");
        Path pieces = dir.resolve("pieces");
        ok(CliRun.run(cat(ict, "-o", straight.toString())));
        JsonNode options = manifest(straight).path("options");
        assertEquals("batch", options.path("target").asText(), options.toString());
        assertEquals(4, options.path("extra_references").asInt(), options.toString());
        ok(CliRun.run(cat(ict, "-o", pieces.toString(), "--stop-at", "3")));
        ok(CliRun.run(cat(ict, "-o", pieces.toString(), "--resume")));
        assertArrayEquals(Files.readAllBytes(straight.resolve("ict.safetensors")),
                Files.readAllBytes(pieces.resolve("ict.safetensors")), "6 steps vs 3 + 3");
        // the paper's pair is another run: the same steps from the same seed end elsewhere, and its resume is refused
        Path paper = dir.resolve("paper");
        ok(CliRun.run("train-ict", "--smoke", "--steps", "6", "--sample-every", "0", "-o", paper.toString()));
        assertTrue(manifest(paper).path("options").path("target").isMissingNode(),
                "the paper's target is not recorded");
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(straight.resolve("ict.safetensors")),
                Files.readAllBytes(paper.resolve("ict.safetensors"))), "the target changes the run");
        CliRun wrong = CliRun.run("train-ict", "--smoke", "--steps", "6", "--sample-every", "0", "-o",
                pieces.toString(), "--resume");
        assertTrue(wrong.code() != 0 && wrong.err().contains("--target"), "a resume with other options: "
                + wrong.err());
    }

    /** --lr-final: recorded in the manifest only when given, a resume without it refused, the run changed. */
    @Test
    void aDecayedLearningRateIsRecordedAndChangesTheRun(@TempDir Path dir) throws Exception {
        assertOptionRecordedAndChangesTheRun(dir, "--lr-final", "0.05", "lr_final");
    }

    /**
     * --max-grad-norm: recorded in the manifest (and the checkpoint's settings) only when given, a resume without it
     * refused; a bound below the smoke run's gradient norms changes the run.
     */
    @Test
    void aGradientBoundIsRecordedAndChangesTheRun(@TempDir Path dir) throws Exception {
        assertOptionRecordedAndChangesTheRun(dir, "--max-grad-norm", "1e-6", "max_grad_norm");
    }

    /**
     * Trains a 4-step iCT smoke run with {@code option value} and one without: the manifest records the value under
     * {@code key} only in the first, the checkpoints differ, and a resume of the first without the option is refused
     * naming it.
     */
    private static void assertOptionRecordedAndChangesTheRun(Path dir, String option, String value, String key)
            throws Exception {
        String[] ict = {"train-ict", "--smoke", "--steps", "4", "--sample-every", "0"};
        Path with = dir.resolve("with");
        Path without = dir.resolve("without");
        ok(CliRun.run(cat(ict, "-o", with.toString(), option, value)));
        ok(CliRun.run(cat(ict, "-o", without.toString())));
        assertEquals(Double.parseDouble(value), manifest(with).path("options").path(key).asDouble(), 0.0);
        assertTrue(manifest(without).path("options").path(key).isMissingNode(), "the default is not recorded");
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(with.resolve("ict.safetensors")),
                Files.readAllBytes(without.resolve("ict.safetensors"))), option + " changes the run");
        CliRun wrong = CliRun.run(cat(ict, "-o", with.toString(), "--resume"));
        assertTrue(wrong.code() != 0 && wrong.err().contains(option), wrong.err());
    }

    static String[] cat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
