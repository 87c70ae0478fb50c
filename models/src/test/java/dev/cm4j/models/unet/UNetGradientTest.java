package dev.cm4j.models.unet;

import dev.cm4j.autodiff.GradCheck;
import dev.cm4j.autodiff.Var;
import dev.cm4j.models.ChildJvm;
import dev.cm4j.models.Module;
import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Gradients of the whole U-Net against finite differences, dropout replay, and reproducibility. */
class UNetGradientTest {

    /** Moves every parameter off its initial value (the zero convolutions included) so every path carries signal. */
    private static void perturb(Module m, Rng rng, float std) {
        m.stateDict().forEach((k, v) -> v.copyFrom(v.add(rng.normal(v.shape()).mul(std))));
    }

    private static void gradCheck(String what, UNet net, Var x, Var cNoise, int[] labels, Var... leaves) {
        // float32 central differences with the tolerances of the layer checks; 6 elements of each leaf
        GradCheck.Result r = GradCheck.check(() -> net.forward(x, cNoise, labels), leaves, 5e-3, 2e-3, 2e-2, 6,
                new Rng(what.hashCode()));
        assertTrue(r.passed(), what + ": worst element " + r.worst() + ", error/tolerance " + r.worstRatio());
        int probes = 0;
        for (Var v : leaves) {
            probes += Math.min(6, v.size());
        }
        assertEquals(probes, r.checked(), "every leaf probed");
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Rng rng = new Rng(5);
        // conditional, scale-shift, ResBlock up/down
        UNet a = new UNet(UNetTest.tiny(3, true, true), rng);
        perturb(a, rng, 0.1f);
        Map<String, Var> p = a.namedParameters();
        Var x = Var.param(rng.normal(3, 2, 8, 8));
        Var c = Var.param(rng.uniform(-1f, 1f, 3));
        // a repeated label: its embedding row gets the sum of two samples' gradients
        gradCheck("conditional U-Net", a, x, c, new int[] {2, 0, 2}, x, c, p.get("time_embed.0.weight"),
                p.get("label_emb.weight"), p.get("input_blocks.0.0.weight"), p.get("input_blocks.1.0.emb_layers.1.weight"),
                p.get("input_blocks.2.0.in_layers.2.weight"), p.get("input_blocks.3.0.skip_connection.weight"),
                p.get("input_blocks.3.1.qkv.weight"), p.get("middle_block.1.proj_out.weight"),
                p.get("output_blocks.1.0.out_layers.3.weight"), p.get("output_blocks.1.2.in_layers.0.weight"),
                p.get("output_blocks.3.0.in_layers.2.bias"), p.get("out.0.weight"), p.get("out.2.weight"));

        // unconditional, additive embedding, strided-convolution and convolution up sampling
        UNet b = new UNet(UNetTest.tiny(0, false, false), rng);
        perturb(b, rng, 0.1f);
        Map<String, Var> q = b.namedParameters();
        Var y = Var.param(rng.normal(1, 2, 8, 8));
        Var d = Var.param(rng.uniform(-1f, 1f, 1));
        gradCheck("unconditional U-Net", b, y, d, null, y, d, q.get("input_blocks.2.0.op.weight"),
                q.get("input_blocks.1.0.emb_layers.1.bias"), q.get("output_blocks.1.2.conv.weight"),
                q.get("output_blocks.2.0.skip_connection.weight"), q.get("out.2.bias"));
    }

    @Test
    void restoringTheGeneratorPositionsReplaysTheDropoutMasks() {
        Rng rng = new Rng(6);
        UNet net = new UNet(UNetTest.tiny(0, true, true).withDropout(0.3f), rng);
        perturb(net, rng, 0.1f);
        Map<String, Long> start = net.rngPositions();
        // one generator per ResBlock: 3 on the way down (one resamples), 2 in the middle, 5 on the way up
        assertEquals(10, start.size());
        assertTrue(start.containsKey("input_blocks.1.0.out_layers.2"), start.keySet().toString());
        Var x = Var.constant(rng.normal(2, 2, 8, 8));
        Var c = Var.constant(rng.normal(2));
        Tensor first = net.forward(x, c, null).value();
        Tensor second = net.forward(x, c, null).value();
        assertTrue(first.maxAbsDiff(second) > 1e-4, "fresh masks change the output");
        net.setRngPositions(start);
        assertEquals(0f, net.forward(x, c, null).value().maxAbsDiff(first), "same positions, same masks");
        net.eval();
        Tensor e1 = net.forward(x, c, null).value();
        assertEquals(0f, net.forward(x, c, null).value().maxAbsDiff(e1), "no dropout in eval mode");
    }

    /** One forward and backward of a seeded network; prints digests of the output and of every gradient. */
    public static final class Digests {
        public static void main(String[] args) {
            System.out.print(run());
        }

        static String run() {
            StringBuilder sb = new StringBuilder();
            // a conditional network with every block kind, and the 28x28 network at batch 3 (threads split it)
            Rng rng = new Rng(7);
            UNet tiny = new UNet(UNetTest.tiny(3, true, true).withDropout(0.2f), rng);
            perturb(tiny, rng, 0.1f);
            pass(sb, tiny, rng.normal(5, 2, 8, 8), rng.normal(5), new int[] {0, 1, 2, 1, 0}, rng);
            UNet small = new UNet(UNet.Config.small28().withDropout(0.1f), rng);
            perturb(small, rng, 0.05f);
            pass(sb, small, rng.normal(3, 1, 28, 28), rng.normal(3), null, rng);
            return sb.toString();
        }

        private static void pass(StringBuilder sb, UNet net, Tensor xv, Tensor cv, int[] labels, Rng rng) {
            Var x = Var.param(xv);
            Var y = net.forward(x, Var.constant(cv), labels);
            y.backward(rng.normal(y.shape()));
            sb.append("y ").append(digest(y.value())).append("\ndx ").append(digest(x.grad())).append('\n');
            net.namedParameters().forEach((k, v) -> sb.append(k).append(' ').append(digest(v.grad())).append('\n'));
        }

        private static String digest(Tensor t) {
            long h = 17;
            for (float v : t.toArray()) {
                h = h * 1_000_003L + Float.floatToRawIntBits(v);
            }
            return Long.toHexString(h);
        }
    }

    @Test
    void sameSeedGivesTheSameBitsWithOneAndTwoThreads() throws Exception {
        String here = Digests.run();
        assertEquals(here, Digests.run(), "same seed, same bits in one JVM");
        String one = ChildJvm.run(Digests.class, 1);
        assertEquals(one, ChildJvm.run(Digests.class, 2), "1 vs 2 threads");
        assertEquals(here.lines().count(), one.lines().count());
        assertNotEquals(0, one.length());
    }
}
