package dev.cm4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cm4j.tensor.Rng;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The SiLU backward gives the same bits with 1, 2 and 3 threads on odd sizes, which the threads split off any multiple
 * of a SIMD width. The thread count is fixed per JVM, so each count runs in a child JVM that prints digests.
 */
class SiluGradDeterminismTest {

    /** Prints one digest line per size; recomputes while the JIT compiles and exits with 3 if the bits change. */
    public static final class Digests {
        public static void main(String[] args) {
            String first = digests();
            for (int round = 0; round < 4; round++) {
                if (!digests().equals(first)) {
                    System.exit(3);
                }
            }
            System.out.print(first);
        }

        private static String digests() {
            StringBuilder sb = new StringBuilder();
            for (int n : new int[] {147_458, 49_157}) {
                float[] x = new Rng(1).uniform(-12f, 12f, n).toArray();
                float[] g = new Rng(2).normal(n).toArray();
                float[] dx = new float[n];
                SiluGrad.apply(g, 0, x, 0, dx, 0, n);
                sb.append(n).append(' ').append(digest(dx)).append('\n');
            }
            return sb.toString();
        }

        private static String digest(float[] values) {
            long h = 17;
            for (float v : values) {
                h = h * 1_000_003L + Float.floatToRawIntBits(v);
            }
            return Long.toHexString(h);
        }
    }

    private static String digests(int threads) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "-Dcm4j.threads=" + threads, "-Dcm4j.simd=" + System.getProperty("cm4j.simd", "true"), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), Digests.class.getName()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = p.waitFor();
        assertEquals(0, status, "child JVM with " + threads + " threads: "
                + (status == 3 ? "results changed while the JIT compiled the kernel" : "exited abnormally"));
        return out;
    }

    @Test
    void sameBitsForOneTwoAndThreeThreads() throws Exception {
        String one = digests(1);
        assertEquals(2, one.lines().count(), one);
        assertEquals(one, digests(2), "1 vs 2 threads");
        assertEquals(one, digests(3), "1 vs 3 threads");
    }
}
