package dev.cm4j.consistency.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a real training process at seeded random moments (inside saves as often as between them: the child
 * checkpoints every step), then resume, until it finishes: the final weights and EMA are bit-identical to a run that
 * was never interrupted.
 */
class KillResumeTest {
    private static final long STEPS = 400;

    /** A child JVM with this JVM's class path and flags running {@link KillResumeChild}. */
    private static Process start(Path dir) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the Vector API module and cm4j's switches, so both runs take the same kernels
            if (a.startsWith("--add-modules") || a.startsWith("-Dcm4j.") || a.startsWith("-Xmx")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(KillResumeChild.class.getName());
        cmd.add(dir.toString());
        cmd.add(Long.toString(STEPS));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static String finish(Process p) throws Exception {
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child finishes");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> l.startsWith("DONE ")).findFirst().orElseThrow(() -> new AssertionError(out));
    }

    @Test
    void killedAtRandomStepsAndResumedEndsBitIdentical(@TempDir Path tmp) throws Exception {
        String reference = finish(start(tmp.resolve("straight")));

        Path dir = tmp.resolve("killed");
        Random moments = new Random(20261206);
        List<Long> killedAt = new ArrayList<>();
        for (int kill = 0; kill < 4; kill++) {
            Process p = start(dir);
            int after = 1 + moments.nextInt(60);
            long step = -1;
            try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                    p.getInputStream(), StandardCharsets.UTF_8))) {
                int seen = 0;
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("STEP ") && ++seen == after) {
                        step = Long.parseLong(line.substring(5));
                        p.destroyForcibly().waitFor();
                        break;
                    }
                }
            }
            assertTrue(step > 0, "kill " + kill + ": the child reached its " + after + "th step");
            killedAt.add(step);
        }
        String resumed = finish(start(dir));
        System.out.println("KillResumeTest: killed at steps " + killedAt + " of " + STEPS + ", then " + resumed
                + " (uninterrupted: " + reference + ")");
        assertEquals(reference, resumed, "after kills at steps " + killedAt);
    }
}
