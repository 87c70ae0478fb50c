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
    void killedAtRandomMomentsAndResumedEndsBitIdentical(@TempDir Path tmp) throws Exception {
        String reference = finish(start(tmp.resolve("straight")));

        Path dir = tmp.resolve("killed");
        Random moments = new Random(20261206);
        int kills = 0;
        for (int attempt = 0; attempt < 6; attempt++) {
            Process p = start(dir);
            // JVM start-up takes a few hundred milliseconds; the whole run a few seconds
            Thread.sleep(400 + moments.nextInt(1200));
            if (!p.isAlive()) {
                break;
            }
            p.destroyForcibly().waitFor();
            kills++;
        }
        String resumed = finish(start(dir));
        System.out.println("KillResumeTest: " + kills + " kills, then " + resumed + " (uninterrupted: " + reference
                + ")");
        assertTrue(kills >= 3, "the child was killed " + kills + " times before it could finish");
        assertEquals(reference, resumed, "after " + kills + " kills");
    }
}
