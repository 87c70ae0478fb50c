package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        for (String method : new String[] {"EDM teacher, Heun 64 steps", "CD, 1 step", "CD, 2 steps", "iCT, 1 step",
            "iCT, 2 steps", "data vs fresh data"}) {
            assertTrue(out.contains(method), "table row " + method);
        }
        assertTrue(out.contains("|  127 |"), "the teacher row reports 127 NFE");
        assertTrue(out.contains("/ floor") && out.contains("/ teacher"), "both ratio columns name their scale");
        BufferedImage samples = ImageIO.read(dir.resolve("samples.png").toFile());
        assertEquals(3 * 360, samples.getWidth());
        assertEquals(2 * 360, samples.getHeight());
        assertTrue(ImageIO.read(dir.resolve("loss.png").toFile()).getWidth() > 0);
        assertTrue(Files.readString(dir.resolve("results.md")).contains("iCT, 1 step"));
        for (String f : new String[] {"teacher", "cd", "ict"}) {
            assertTrue(Files.exists(dir.resolve(f + ".safetensors")), "checkpoint of " + f);
            assertFalse(Files.exists(dir.resolve(f + ".safetensors.tmp")), "no debris of " + f);
        }
        assertEquals(21, Files.readAllLines(dir.resolve("teacher.loss.csv")).size(), "header and 20 steps");
        assertTrue(out.contains("training: teacher 20 steps"), out);

        // a step logged after the last checkpoint (a kill) is cut on resume; every phase says where it resumed
        Files.writeString(dir.resolve("teacher.loss.csv"), "21,0.5\n", java.nio.file.StandardOpenOption.APPEND);
        String resumed = demo(dir, 0, "--resume");
        assertTrue(resumed.contains("1/3 EDM teacher: resumed from step 20 of 20"), resumed);
        assertTrue(resumed.contains("3/3 improved consistency training: resumed from step 10 of 10"), resumed);
        assertEquals(21, Files.readAllLines(dir.resolve("teacher.loss.csv")).size(), "the loss log is cut back");
        String results = Files.readString(dir.resolve("results.md"));
        assertTrue(results.contains("teacher 20 steps (20 loaded from its checkpoint, 0 trained in this run"), results);

        // another seed does not resume the old run's models
        String refused = demo(dir, 1, "--resume", "--seed", "1");
        assertTrue(!refused.contains("sampling"), refused);
    }

    /** Runs the tiny demo into dir with extra options; its standard output (the exit code must be {@code code}). */
    private static String demo(Path dir, int code, String... extra) {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        java.io.StringWriter err = new java.io.StringWriter();
        int actual;
        try {
            System.setOut(new PrintStream(captured, true));
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("demo", "--out", dir.toString(),
                    "--teacher-steps", "20", "--cd-steps", "10", "--ict-steps", "10", "--samples", "500", "--width",
                    "32", "--data", "moons"));
            args.addAll(java.util.List.of(extra));
            CommandLine cl = Cm4j.commandLine();
            cl.setErr(new java.io.PrintWriter(err, true));
            actual = cl.execute(args.toArray(new String[0]));
        } finally {
            System.setOut(saved);
        }
        String text = captured + err.toString();
        System.out.println(text);
        assertEquals(code, actual, text);
        assertTrue(!err.toString().contains("\tat "), "no stack trace: " + err);
        return text;
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
