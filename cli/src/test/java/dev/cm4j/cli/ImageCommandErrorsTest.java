package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.consistency.data.Toy2d;
import dev.cm4j.consistency.toy.ToyPipeline;
import dev.cm4j.models.io.RunLock;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image commands' errors: one or two lines naming the option, value or file and what to do, exit code 1, no
 * stack trace, nothing trained.
 */
class ImageCommandErrorsTest {
    private static void refused(CliRun r, String... expected) {
        assertEquals(1, r.code(), r.err() + r.out());
        for (String e : expected) {
            assertTrue(r.err().contains(e), "expected '" + e + "' in: " + r.err());
        }
        assertFalse(r.hasStackTrace(), r.err());
        assertTrue(r.err().strip().lines().count() <= 2, "one or two lines: " + r.err());
        assertFalse(r.out().contains("steps/s"), "nothing was trained: " + r.out());
    }

    @Test
    void aMissingDataSetNamesThePathAndThePackage(@TempDir Path dir) {
        Path saved = ImageTrainCommand.fashionMnistDir;
        Path missing = dir.resolve("no-fashion-mnist");
        try {
            ImageTrainCommand.fashionMnistDir = missing;
            refused(CliRun.run("train-teacher", "--smoke", "-o", dir.resolve("t").toString()), missing.toString(),
                    "apt-get install dataset-fashion-mnist");
        } finally {
            ImageTrainCommand.fashionMnistDir = saved;
        }
        refused(CliRun.run("train-ict", "--smoke", "--data", missing.toString(), "-o", dir.resolve("i").toString()),
                missing.toString(), "no such folder");
    }

    @Test
    void badOptionsAreRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
        String out = dir.resolve("run").toString();
        refused(CliRun.run("train-teacher", "--steps", "0", "-o", out), "--steps 0: must be between 1 and");
        refused(CliRun.run("train-teacher", "--lr", "0", "-o", out), "--lr 0.0: must be in (0, 1)");
        refused(CliRun.run("train-ict", "--ema", "1", "-o", out), "--ema 1.0: must be in [0, 1)");
        refused(CliRun.run("train-ict", "--stop-at", "20000", "-o", out), "--stop-at 20000: must be between 0 and");
        refused(CliRun.run("train-teacher", "--model", "unet9", "-o", out), "--model unet9", "no preset named",
                "small28");
        refused(CliRun.run("train-ict", "--model-channels", "12", "-o", out), "--model-channels 12 does not fit",
                "groups");
        refused(CliRun.run("train-ict", "--schedule", "fast", "-o", out), "fast", "paper");
        refused(CliRun.run("train-ict", "--target", "mean", "-o", out), "--target mean: must be sample or batch");
        refused(CliRun.run("train-teacher", "--lr-final", "1.5", "-o", out), "--lr-final 1.5: must be in [0, 1]");
        refused(CliRun.run("distill", "--teacher", "t.safetensors", "--max-grad-norm", "-2", "-o", out),
                "--max-grad-norm -2.0: must be a finite norm >= 0");
        refused(CliRun.run("train-ict", "--extra-references", "4", "-o", out),
                "--extra-references 4: needs --target batch");
        refused(CliRun.run("train-ict", "--target", "batch", "--extra-references", "-1", "-o", out),
                "--extra-references -1: must be between 0 and");
        refused(CliRun.run("train-ict", "--data", "emoji", "-o", out), "--data emoji", "1 channel", "small32rgb");
        refused(CliRun.run("train-ct", "--distance", "lpips", "-o", out), "--distance lpips: not a distance",
                "pseudo-huber");
        refused(CliRun.run("distill", "--teacher", "t.safetensors", "--solver", "rk4", "-o", out),
                "--solver rk4: not a solver");
        refused(CliRun.run("distill", "--teacher", "t.safetensors", "--substeps", "0", "-o", out),
                "--substeps 0: must be between 1 and");
        refused(CliRun.run("distill", "--teacher", "t.safetensors", "--n", "2000", "--substeps", "1000", "-o", out),
                "--n 2000 with --substeps 1000", "1999001 points");
        refused(CliRun.run("train-teacher", "--dropout", "1.5", "-o", out), "--dropout 1.5: must be in [0, 1)");
        Path json = dir.resolve("c.json");
        Files.writeString(json, "{\"stpes\": 10}");
        refused(CliRun.run("train-teacher", "--config", json.toString(), "-o", out), json.toString(),
                "'stpes' is not an option of cm4j train-teacher");
        Files.writeString(json, "{\"steps\": [1, 2]}");
        refused(CliRun.run("train-teacher", "--config", json.toString(), "-o", out), "'steps' must be a number");
        refused(CliRun.run("train-teacher", "--config", dir.resolve("none.json").toString(), "-o", out),
                "none.json");
        assertEquals(2, CliRun.run("train-teacher", "--steps", "many").code(), "a usage error");
        assertEquals(2, CliRun.run("distill", "-o", out).code(), "--teacher is required");
        refused(CliRun.run("sample", "-c", dir.resolve("none.safetensors").toString()), "none.safetensors",
                "no such file");
    }

    @Test
    void checkpointsOfAnotherRoleOrRunAndBusyDirectoriesAreRefused(@TempDir Path dir) throws Exception {
        Path ict = dir.resolve("ict");
        String[] run = {"train-ict", "--smoke", "--steps", "2", "--sample-every", "0", "-o", ict.toString()};
        assertEquals(0, CliRun.run(run).code());
        Path ckpt = ict.resolve("ict.safetensors");

        // a consistency model is not a teacher; a teacher of the 2-D demo is not an image network
        refused(CliRun.run("distill", "--smoke", "--teacher", ckpt.toString(), "-o", dir.resolve("cd").toString()),
                ckpt.toString(), "role 'ict'", "'teacher'");
        Path toy = dir.resolve("toy.safetensors");
        ToyPipeline.defaults(Toy2d.parse("moons"), 0).teacher().save(toy);
        refused(CliRun.run("distill", "--smoke", "--teacher", toy.toString(), "-o", dir.resolve("cd").toString()),
                toy.toString(), "was not written by a cm4j image command");
        // a damaged checkpoint is named, with what is wrong
        Path damaged = dir.resolve("damaged.safetensors");
        byte[] b = Files.readAllBytes(ckpt);
        b[b.length - 100] ^= 0x10;
        Files.write(damaged, b);
        refused(CliRun.run("sample", "-c", damaged.toString(), "-o", dir.resolve("s.png").toString()),
                damaged.toString(), "CRC32C");
        // options that do not fit the model
        refused(CliRun.run("sample", "-c", ckpt.toString(), "--heun-steps", "5"), "--heun-steps", "--times");
        refused(CliRun.run("sample", "-c", ckpt.toString(), "--times", "0.8,80"), "--times [0.8, 80.0]",
                "must decrease");
        refused(CliRun.run("sample", "-c", ckpt.toString(), "--class", "3"), "--class 3", "unconditional");

        // the run directory: a finished run is not overwritten, a resume must keep the options, one run at a time
        refused(CliRun.run(run), "holds the checkpoint of a run", "--resume");
        refused(CliRun.run(ImageCommandsTest.cat(run, "--resume", "--lr", "0.001")),
                "--lr: the run in this directory used 1.0E-4, this run 0.001");
        try (RunLock lock = RunLock.acquire(ict)) {
            refused(CliRun.run(ImageCommandsTest.cat(run, "--resume")), ict + " is in use by another cm4j run");
        }
    }
}
