package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cm4j.models.io.RunLock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every error a user can cause ends in one or two lines that name the option, value or file, exit code 1 (2 for
 * usage errors), and no stack trace unless --verbose; all of them before any training.
 */
class DemoErrorsTest {
    private static CliRun run(String... args) {
        return CliRun.run(args);
    }

    /** A demo that would train for a long time: an error must come before any training. */
    private static String[] demo(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("demo", "--out", out.toString(), "--width", "16"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    private static void refused(CliRun r, String expected) {
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
        assertFalse(r.hasStackTrace(), r.err());
        assertTrue(r.err().strip().lines().count() <= 2, "one or two lines: " + r.err());
        assertFalse(r.out().contains("steps/s"), "nothing was trained: " + r.out());
    }

    @Test
    void badOptionValuesAreRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        refused(run(demo(out, "--samples", "0")), "--samples 0: need at least 2 samples");
        refused(run(demo(out, "--samples", "1")), "--samples 1: need at least 2 samples");
        CliRun huge = run(demo(out, "--samples", "2000000000"));
        refused(huge, "--samples 2000000000 needs about");
        assertTrue(huge.err().contains("Java heap") && huge.err().contains("-Xmx"), huge.err());
        refused(run(demo(out, "--teacher-steps", "0")), "--teacher-steps 0: must be between 1 and");
        refused(run(demo(out, "--cd-steps", "-5")), "--cd-steps -5: must be between 1 and");
        refused(run(demo(out, "--ict-steps", "2000000000")), "--ict-steps 2000000000: must be between 1 and");
        refused(run(demo(out, "--batch", "0")), "--batch 0: must be between 1 and");
        refused(run(demo(out, "--ict-batch", "-1")), "--ict-batch -1: must be between 1 and");
        refused(run("demo", "--out", out.toString(), "--width", "100000"), "--width 100000: must be between 1 and 4096");
        refused(run(demo(out, "--noise-scale", "0")), "--noise-scale 0.0: must be a positive finite number");
        refused(run(demo(out, "--noise-scale", "NaN")), "--noise-scale NaN: must be a positive finite number");
        refused(run(demo(out, "--noise-scale", "Infinity")), "--noise-scale Infinity: must be a positive");
        refused(run(demo(out, "--data", "spirals")), "unknown data set 'spirals'");
        assertFalse(Files.exists(out), "no option error creates the output directory");
        refused(run("demo", "-o", "", "--width", "16"), "--out is empty");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        refused(run(demo(file)), "--out " + file + " is a file, not a directory");
        refused(run(demo(file.resolve("sub"))), "--out " + file.resolve("sub") + ": cannot create the directory");
        // a value of the wrong type is a usage error: picocli's message, exit code 2
        assertEquals(2, run(demo(out, "--samples", "abc")).code());
    }

    @Test
    void aDirectoryInUseIsRefusedNamingTheHolder(@TempDir Path dir) throws Exception {
        try (RunLock held = RunLock.acquire(dir)) {
            refused(run(demo(dir)), dir + " is in use by another cm4j run (process id "
                    + ProcessHandle.current().pid());
        }
    }

    @Test
    void aDamagedCheckpointIsOneLineAndAHintAndVerboseShowsTheTrace(@TempDir Path dir) throws Exception {
        Path teacher = Files.writeString(dir.resolve("teacher.safetensors"), "not a checkpoint");
        CliRun r = run(demo(dir, "--resume"));
        refused(r, teacher.toString());
        assertTrue(r.err().contains("run without --resume"), r.err());
        CliRun verbose = run(demo(dir, "--resume", "--verbose"));
        assertEquals(1, verbose.code());
        assertTrue(verbose.hasStackTrace(), verbose.err());
        CliRun verboseFirst = run("--verbose", "demo", "--out", dir.toString(), "--width", "16", "--resume");
        assertTrue(verboseFirst.hasStackTrace(), "--verbose on the top command: " + verboseFirst.err());
    }

    @Test
    void outOfMemoryAndUnexpectedErrorsSayWhatToDo() {
        StringWriter w = new StringWriter();
        int code = ErrorReport.print(new PrintWriter(w), "demo",
                new ErrorReport.OutOfMemory(DemoCommand.MEMORY_OPTIONS, new OutOfMemoryError("Java heap space")), false);
        assertEquals(1, code);
        String oom = w.toString();
        assertTrue(oom.startsWith("cm4j demo: out of memory (Java heap at most "), oom);
        assertTrue(oom.contains("-Xmx") && oom.contains("JAVA_TOOL_OPTIONS") && oom.contains("--samples")
                && oom.contains("--ict-batch") && oom.contains("--batch"), oom);
        assertEquals(1, oom.strip().lines().count(), oom);
        w = new StringWriter();
        ErrorReport.print(new PrintWriter(w), "demo", new NullPointerException("x is null"), false);
        assertEquals("cm4j demo: unexpected java.lang.NullPointerException: x is null\n"
                + "  run with --verbose for the stack trace\n", w.toString().replace("\r", ""));
    }

    @Test
    void badSystemPropertiesAreOneLineBeforeAnyWork(@TempDir Path dir) throws Exception {
        String[][] cases = {
            {"-Dcm4j.threads=0", "-Dcm4j.threads=0 is not a positive integer"},
            {"-Dcm4j.threads=-3", "-Dcm4j.threads=-3 is not a positive integer"},
            {"-Dcm4j.threads=abc", "-Dcm4j.threads=abc is not a positive integer"},
            {"-Dcm4j.simd=no", "-Dcm4j.simd=no is neither true nor false"},
            {"-Dcm4j.simd.bits=100", "-Dcm4j.simd.bits=100 (or -Dcm4j.gemm.bits) is not 0, 64, 128, 256 or 512"},
            {"-Dcm4j.backend=cuda", "cm4j.backend=cuda but no such backend"},
        };
        for (String[] c : cases) {
            List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(), c[0],
                    "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), Cm4j.class.getName(),
                    "demo", "--out", dir.resolve("out").toString());
            Process p = new ProcessBuilder(cmd).start();
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), c[0] + ": " + stderr);
            List<String> lines = stderr.lines().filter(l -> l.startsWith("cm4j demo:")).toList();
            assertEquals(1, lines.size(), stderr);
            assertTrue(lines.get(0).contains(c[1]), stderr);
            assertFalse(stderr.contains("\tat "), stderr);
            assertFalse(stdout.contains("steps"), stdout);
        }
    }
}
