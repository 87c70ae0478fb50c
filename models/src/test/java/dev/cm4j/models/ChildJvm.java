package dev.cm4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a test's {@code main} in a child JVM with a given thread count (fixed per JVM by {@code -Dcm4j.threads}) and
 * returns what it printed: how the tests compare 1 and 2 threads bit for bit.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** The standard output of {@code main} run with {@code threads} worker threads; fails the test if it fails. */
    public static String run(Class<?> main, int threads) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "-Dcm4j.threads=" + threads, "-Dcm4j.simd=" + System.getProperty("cm4j.simd", "true"), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), main.getName());
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "child JVM with " + threads + " threads failed: " + err);
        return out;
    }
}
