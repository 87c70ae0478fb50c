package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The tensor module's system properties: a bad {@code cm4j.threads}, {@code cm4j.spin}, {@code cm4j.simd} or
 * {@code cm4j.backend} is an {@link IllegalArgumentException} naming the property and the value at first use, never
 * silently replaced. The values are read once per process, so each bad value runs in a child JVM.
 */
class PropertyChecksTest {
    @Test
    void threadCountsThatAreNotPositiveIntegersAreRefused() {
        for (String bad : new String[] {"0", "-3", "abc", "", "2.5"}) {
            String e = Parallel.threadsError(bad);
            assertTrue(e != null && e.contains("-Dcm4j.threads=" + bad + " is not a positive integer"), bad + ": " + e);
        }
        for (String good : new String[] {"1", "3", " 2 "}) {
            assertNull(Parallel.threadsError(good), good);
        }
        assertNull(Parallel.threadsError(null));
    }

    @Test
    void spinTimesOutsideZeroToASecondAreRefused() {
        for (String bad : new String[] {"-1", "abc", "", "1.5", "1000001"}) {
            String e = Parallel.spinError(bad);
            assertTrue(e != null && e.contains("-Dcm4j.spin=" + bad + " is not a number of microseconds"), bad + ": " + e);
        }
        for (String good : new String[] {"0", "100", " 50 ", "1000000"}) {
            assertNull(Parallel.spinError(good), good);
        }
        assertNull(Parallel.spinError(null));
    }

    @Test
    void simdIsTrueOrFalseOnly() {
        for (String bad : new String[] {"no", "0", "1", "yes", ""}) {
            String e = Simd.propertyError(bad);
            assertTrue(e != null && e.contains("-Dcm4j.simd=" + bad + " is neither true nor false"), bad + ": " + e);
        }
        for (String good : new String[] {"true", "false", "FALSE", "True"}) {
            assertNull(Simd.propertyError(good), good);
        }
    }

    @Test
    void simdBitsIsAVectorWidth() {
        for (String bad : new String[] {"100", "-128", "1024", "abc", ""}) {
            String e = Simd.bitsError(bad);
            assertTrue(e != null && e.contains("-Dcm4j.simd.bits=" + bad + " (or -Dcm4j.gemm.bits) is not 0, 64, 128, "
                    + "256 or 512"), bad + ": " + e);
        }
        for (String good : new String[] {"0", "64", "128", "256", "512", " 256 "}) {
            assertNull(Simd.bitsError(good), good);
        }
        assertNull(Simd.bitsError(null));
    }

    @Test
    void aProgramGetsAnIllegalArgumentExceptionNamingThePropertyAtFirstUse() throws Exception {
        assertEquals("ok", probe());
        for (String bad : new String[] {"0", "-3", "abc"}) {
            String out = probe("-Dcm4j.threads=" + bad);
            assertTrue(out.startsWith("java.lang.IllegalArgumentException: -Dcm4j.threads=" + bad + " is not"), out);
        }
        String spin = probe("-Dcm4j.spin=-5");
        assertTrue(spin.startsWith("java.lang.IllegalArgumentException: -Dcm4j.spin=-5 is not a number"), spin);
        assertEquals("ok", probe("-Dcm4j.spin=0"));
        String simd = probe("-Dcm4j.simd=no");
        assertTrue(simd.startsWith("java.lang.IllegalArgumentException: -Dcm4j.simd=no is neither"), simd);
        String backend = probe("-Dcm4j.backend=cuda");
        assertTrue(backend.startsWith("java.lang.IllegalArgumentException: Backends: cm4j.backend=cuda but no such"),
                backend);
    }

    /** Runs {@link PropertyProbe} in a child JVM with the given flags; its one line of output. */
    private static String probe(String... flags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), PropertyProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }
}
