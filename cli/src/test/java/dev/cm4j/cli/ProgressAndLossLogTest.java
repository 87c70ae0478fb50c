package dev.cm4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress without a terminal, and the loss log that a resume cuts back and continues. */
class ProgressAndLossLogTest {
    @Test
    void withoutATerminalProgressIsCompleteLinesStartingAtTheResumedStep() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (ConsoleProgress p = new ConsoleProgress("1/3 EDM teacher", 3000, false, out)) {
            p.onStart("teacher", 1000, 3000);
            for (long s = 1001; s <= 3000; s++) {
                p.onStep("teacher", s, 3000, 1.0);
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("\r"), "no carriage returns");
        List<String> lines = text.lines().toList();
        assertEquals("1/3 EDM teacher: resumed from step 1000 of 3000", lines.get(0));
        assertTrue(lines.get(1).startsWith("1/3 EDM teacher  40% 1200/3000 steps"), lines.get(1));
        assertTrue(lines.size() <= 12, text);
        assertEquals(1, lines.stream().filter(l -> l.contains(" 3000/3000 steps")).count(), "final line once: " + text);
        assertTrue(lines.get(lines.size() - 1).startsWith("1/3 EDM teacher 100% 3000/3000 steps"), text);
    }

    @Test
    void workWithoutALossCountsItsOwnUnitAndPrintsNoLoss() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (ConsoleProgress p = new ConsoleProgress("cm4j sample", 1000, "samples", false, out)) {
            p.onStart("sample", 0, 1000);
            for (long s = 256; s < 1000; s += 256) {
                p.onStep("sample", s, 1000, Double.NaN);
            }
            p.onStep("sample", 1000, 1000, Double.NaN);
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(4, lines.size(), "a line per batch: each crosses a tenth; " + lines);
        assertTrue(lines.get(0).startsWith("cm4j sample  25% 256/1000 samples, "), lines.get(0));
        assertTrue(lines.get(0).contains(" samples/s, "), lines.get(0));
        assertTrue(lines.get(3).startsWith("cm4j sample 100% 1000/1000 samples"), lines.get(3));
        assertTrue(lines.stream().noneMatch(l -> l.contains("loss")), "no loss: " + lines);
    }

    @Test
    void aResumeCutsTheLogBackToItsStepAndAFreshStartEmptiesIt(@TempDir Path dir) throws Exception {
        Path file = LossLog.file(dir, "teacher");
        try (LossLog log = new LossLog(file)) {
            log.onStart("teacher", 0, 10);
            for (long s = 1; s <= 7; s++) {
                log.onStep("teacher", s, 10, 0.1 * s);
            }
        }
        Files.writeString(file, "8,0.8", java.nio.file.StandardOpenOption.APPEND); // torn by a kill: no newline
        // the checkpoint was at step 5: steps 6.. will be trained again
        try (LossLog log = new LossLog(file)) {
            log.onStart("teacher", 5, 10);
            for (long s = 6; s <= 10; s++) {
                log.onStep("teacher", s, 10, 1.0 + s);
            }
        }
        LossLog.Curve c = LossLog.read(file);
        assertArrayEquals(LongStream.rangeClosed(1, 10).toArray(), c.steps());
        assertEquals(0.1 * 3, c.losses()[2]);
        assertEquals(7.0, c.losses()[5]);
        assertEquals(LossLog.HEADER, Files.readAllLines(file).get(0));
        try (LossLog log = new LossLog(file)) {
            log.onStart("teacher", 0, 10);
        }
        assertEquals(0, LossLog.read(file).steps().length);
    }

    @Test
    void gradientNormsAreLoggedAndShownWithTheLargestSinceTheLastLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (ConsoleProgress p = new ConsoleProgress("ict", 100, false, out)) {
            p.onStart("ict", 0, 100);
            for (long s = 1; s <= 100; s++) {
                // one spike in the first tenth, none after it
                p.onStep("ict", s, 100, 1.0, s == 4 ? 40.0 : 0.5);
            }
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(10, lines.size(), lines.toString());
        assertTrue(lines.get(0).endsWith("(max 40.0)"), lines.get(0));
        assertTrue(lines.get(1).endsWith("(max 0.500)"), lines.get(1));
        assertTrue(lines.get(9).contains("loss 1.000, grad norm "), lines.get(9));
    }

    @Test
    void theLogCarriesTheNormsAndReadsAndContinuesATwoColumnLog(@TempDir Path dir) throws Exception {
        Path file = LossLog.file(dir, "ict");
        // a log of the earlier form, as a run trained before the norm was logged left it
        Files.writeString(file, "step,loss\n1,0.5\n2,0.25\n3,0.125\n");
        try (LossLog log = new LossLog(file)) {
            log.onStart("ict", 2, 5);
            log.onStep("ict", 3, 5, 0.3, 1.5);
            log.onStep("ict", 4, 5, 0.2, Double.NaN); // a trainer that takes no norm
            log.onStep("ict", 5, 5, 0.1);
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(List.of(LossLog.HEADER, "1,0.5", "2,0.25", "3,0.3,1.5", "4,0.2,", "5,0.1,"), lines);
        LossLog.Curve c = LossLog.read(file);
        assertArrayEquals(new long[] {1, 2, 3, 4, 5}, c.steps());
        assertArrayEquals(new double[] {0.5, 0.25, 0.3, 0.2, 0.1}, c.losses());
        assertTrue(Double.isNaN(c.gradNorms()[0]) && Double.isNaN(c.gradNorms()[1]), "no norms in the old lines");
        assertEquals(1.5, c.gradNorms()[2]);
        assertTrue(Double.isNaN(c.gradNorms()[3]) && Double.isNaN(c.gradNorms()[4]));
    }
}
