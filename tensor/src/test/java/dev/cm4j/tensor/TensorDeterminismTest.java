package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Elementwise ops (transcendentals on odd sizes included), reductions and shape ops on tensors large enough to be split
 * over threads give the same bits with 1, 2 and 3 threads, and the same bits before and after the JIT compiles them. The thread count is fixed per JVM, so
 * each count runs in a child JVM that prints digests.
 */
class TensorDeterminismTest {

    /**
     * Prints one "index digest" line per output, computed on fixed seeded inputs. The outputs are recomputed while the
     * JIT compiles the kernels (interpreted, C1, C2): a change of bits on the way exits with status 3.
     */
    public static final class Digests {
        public static void main(String[] args) {
            String first = digests();
            for (int round = 0; round < 8; round++) {
                if (!digests().equals(first)) {
                    System.exit(3);
                }
            }
            System.out.print(first);
        }

        private static String digests() {
            Tensor x = new Rng(1).normal(8, 32, 24, 24); // 147,456 elements: 9 sum blocks, several chunks
            Tensor m = new Rng(2).normal(1001, 257);
            Tensor c = new Rng(3).normal(1, 32, 1, 1);
            Tensor y = new Rng(4).normal(147_458).mul(4f);
            Tensor z = new Rng(5).normal(49_157).mul(4f);
            Tensor[] outs = {x.sum(), x.mean(), x.sum(true, 0, 2, 3), x.sumTo(1, 32, 1, 1), x.variance(false, 1, 2, 3),
                x.logsumexp(true, -1), x.max(false, 1), m.sum(false, 0), m.sum(false, 1), m.mean(true, -1),
                x.flatten().sum(false, 0), x.mul(c).silu().add(x), Tensor.where(x.greater(0f), x, m.sum()),
                x.permute(0, 2, 3, 1), m.transpose(0, 1), x.exp().log(), x.argmax(1, false),
                // odd sizes: 2 and 3 threads split them off any multiple of a SIMD width, so without aligned splits
                // and vector tails elements at a chunk end would take another code path (a 1-2 ulp change)
                y.exp(), y.abs().log(), y.tanh(), y.sigmoid(), y.silu(), y.abs().rsqrt(),
                z.exp(), z.tanh(), z.sigmoid(), z.silu(), z.abs().rsqrt(), z.abs().log()};
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < outs.length; i++) {
                long h = 17;
                for (float v : outs[i].toArray()) {
                    h = h * 1_000_003L + Float.floatToRawIntBits(v);
                }
                sb.append(i).append(' ').append(Long.toHexString(h)).append('\n');
            }
            return sb.toString();
        }
    }

    private static String digests(int threads) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--add-modules", "jdk.incubator.vector",
                "-Dcm4j.threads=" + threads, "-Dcm4j.simd=" + System.getProperty("cm4j.simd", "true"), "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), Digests.class.getName()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = p.waitFor();
        assertEquals(0, status, "child JVM with " + threads + " threads: "
                + (status == 3 ? "results changed while the JIT compiled the kernels" : "exited abnormally"));
        return out;
    }

    @Test
    void sameBitsForOneTwoAndThreeThreads() throws Exception {
        String one = digests(1);
        assertEquals(29, one.lines().count(), one);
        assertEquals(one, digests(2), "1 vs 2 threads");
        assertEquals(one, digests(3), "1 vs 3 threads");
    }
}
