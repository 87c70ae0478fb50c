package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The demo end to end on a tiny budget: it runs, prints its table and writes its plots and checkpoints. */
class DemoCommandTest {
    @Test
    void tinyDemoWritesTableAndPlots(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(captured, true));
            code = Cm4j.commandLine().execute("demo", "--out", dir.toString(), "--teacher-steps", "20",
                    "--cd-steps", "10", "--ict-steps", "10", "--samples", "500", "--width", "32", "--data", "moons");
        } finally {
            System.setOut(saved);
        }
        String out = captured.toString();
        System.out.println(out);
        assertEquals(0, code, out);
        for (String method : new String[] {"EDM teacher, Heun 18 steps", "CD, 1 step", "CD, 2 steps", "iCT, 1 step",
            "iCT, 2 steps", "data vs fresh data"}) {
            assertTrue(out.contains(method), "table row " + method);
        }
        assertTrue(out.contains("|   35 |"), "the teacher row reports 35 NFE");
        BufferedImage samples = ImageIO.read(dir.resolve("samples.png").toFile());
        assertEquals(3 * 360, samples.getWidth());
        assertEquals(2 * 360, samples.getHeight());
        assertTrue(ImageIO.read(dir.resolve("loss.png").toFile()).getWidth() > 0);
        assertTrue(Files.readString(dir.resolve("results.md")).contains("iCT, 1 step"));
        for (String f : new String[] {"teacher", "cd", "ict"}) {
            assertTrue(Files.exists(dir.resolve(f + ".safetensors")) && Files.exists(dir.resolve(f
                    + ".state.safetensors")), "checkpoint of " + f);
        }
    }

    @Test
    void unknownDataSetIsAnError(@TempDir Path dir) {
        CommandLine cl = Cm4j.commandLine();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cl.setErr(new java.io.PrintWriter(err, true));
        int code = cl.execute("demo", "--out", dir.toString(), "--data", "spirals");
        assertEquals(1, code);
        assertTrue(err.toString().contains("unknown data set 'spirals'"), err.toString());
        assertTrue(!err.toString().contains("\tat "), "no stack trace: " + err);
    }
}
