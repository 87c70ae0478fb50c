package dev.cm4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every NN operation gives bit-identical results with 1, 2 and 3 threads. The thread count is fixed per JVM
 * ({@code -Dcm4j.threads}), so each count runs in its own JVM and prints a hash of every output's bits.
 */
class NNDeterminismTest {

    /** Runs all operations on fixed seeded inputs and prints one "name hash" line per output. */
    public static final class Main {
        public static void main(String[] args) {
            List<String> lines = new ArrayList<>();
            // conv: a batch that splits over threads, a single image whose GEMMs split, 1x1, stride 2
            for (int[] c : new int[][] {{4, 8, 9, 9, 6, 3, 1, 1}, {1, 8, 9, 9, 6, 3, 1, 1}, {11, 6, 7, 7, 5, 1, 1, 0},
                    {3, 5, 8, 8, 7, 3, 2, 1}}) {
                Tensor x = new Rng(1).normal(c[0], c[1], c[2], c[3]);
                Tensor w = new Rng(2).normal(c[4], c[1], c[5], c[5]);
                Tensor b = new Rng(3).normal(c[4]);
                Tensor y = NN.conv2d(x, w, b, c[6], c[7]);
                Tensor dy = new Rng(4).normal(y.shape());
                String tag = "conv" + Arrays.toString(c);
                lines.add(tag + " y " + hash(y));
                lines.add(tag + " dx " + hash(NN.conv2dBackwardData(dy, w, x.shape(), c[6], c[7])));
                lines.add(tag + " dw " + hash(NN.conv2dBackwardWeight(dy, x, w.shape(), c[6], c[7])));
                lines.add(tag + " db " + hash(NN.conv2dBackwardBias(dy)));
            }
            Tensor x = new Rng(5).normal(4, 64, 14, 14);
            NN.GroupNormResult gn = NN.groupNorm(x, new Rng(6).normal(64), new Rng(7).normal(64), 32, 1e-5f);
            NN.GroupNormGrads gg = NN.groupNormBackward(new Rng(8).normal(4, 64, 14, 14), x, new Rng(6).normal(64),
                    gn.mean(), gn.rstd(), 32);
            lines.add("groupNorm " + hash(gn.y()) + " " + hash(gn.mean()) + " " + hash(gn.rstd()));
            lines.add("groupNormBackward " + hash(gg.dx()) + " " + hash(gg.dgamma()) + " " + hash(gg.dbeta()));
            // fused with SiLU, without and with a scale-shift; 40 channels (not a multiple of 16), 14x14 planes,
            // 128 blocks of 980 values: enough to split over threads
            Tensor xs = new Rng(14).normal(16, 40, 14, 14);
            Tensor gs = new Rng(15).normal(40);
            Tensor bs = new Rng(16).normal(40);
            Tensor dys = new Rng(17).normal(16, 40, 14, 14);
            Tensor[][] scaleShifts = {{null, null}, {new Rng(18).normal(16, 40), new Rng(19).normal(16, 40)}};
            for (Tensor[] ss : scaleShifts) {
                NN.GroupNormResult fs = NN.groupNormSilu(xs, gs, bs, ss[0], ss[1], 8, 1e-5f);
                NN.GroupNormSiluGrads fg = NN.groupNormSiluBackward(dys, xs, gs, bs, ss[0], ss[1], fs.mean(),
                        fs.rstd(), 8, false);
                lines.add("groupNormSilu " + hash(fs.y()) + " " + hash(fs.mean()) + " " + hash(fs.rstd()));
                lines.add("groupNormSiluBackward " + hash(fg.dx()) + " " + hash(fg.dgamma()) + " "
                        + hash(fg.dbeta()) + (ss[0] == null ? "" : " " + hash(fg.dscale()) + " " + hash(fg.dshift())));
            }
            Tensor logits = new Rng(9).normal(300, 129);
            Tensor sm = NN.softmax(logits);
            Tensor dsm = new Rng(10).normal(300, 129);
            lines.add("softmax " + hash(sm) + " " + hash(NN.softmaxBackward(dsm, sm)));
            Tensor ls = NN.logSoftmax(logits);
            lines.add("logSoftmax " + hash(ls) + " " + hash(NN.logSoftmaxBackward(dsm, ls)));
            for (int[] a : new int[][] {{3, 2, 8, 49}, {1, 1, 16, 33}}) {
                Tensor qkv = new Rng(11).normal(a[0], 3 * a[1] * a[2], a[3]);
                NN.AttentionResult r = NN.qkvAttention(qkv, a[1]);
                Tensor dq = NN.qkvAttentionBackward(new Rng(12).normal(r.out().shape()), qkv, r.probs(), a[1]);
                lines.add("attention" + Arrays.toString(a) + " " + hash(r.out()) + " " + hash(r.probs()) + " "
                        + hash(dq));
            }
            Tensor img = new Rng(13).normal(5, 7, 12, 10);
            lines.add("pool " + hash(NN.avgPool2x2(img)) + " " + hash(NN.avgPool2x2Backward(img)));
            lines.add("upsample " + hash(NN.upsampleNearest2x(img)) + " " + hash(NN.upsampleNearest2xBackward(img)));
            lines.forEach(System.out::println);
        }

        private static String hash(Tensor t) {
            long h = 1125899906842597L;
            for (float v : t.toArray()) {
                h = 31 * h + Float.floatToRawIntBits(v);
            }
            return Long.toHexString(h);
        }
    }

    private static String run(int threads) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "-Dcm4j.threads=" + threads, "-Dcm4j.simd=" + System.getProperty("cm4j.simd", "true"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "child JVM with " + threads + " threads failed: " + err);
        return out;
    }

    @Test
    void sameBitsOnOneTwoAndThreeThreads() throws Exception {
        String one = run(1);
        assertEquals(28, one.lines().count(), "one line per output group:\n" + one);
        assertEquals(one, run(2), "1 vs 2 threads");
        assertEquals(one, run(3), "1 vs 3 threads");
    }
}
