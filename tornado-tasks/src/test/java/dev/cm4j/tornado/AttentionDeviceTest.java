package dev.cm4j.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cm4j.tensor.Rng;
import dev.cm4j.tensor.backend.Backends;
import dev.cm4j.tensor.kernels.AttentionReference;
import org.junit.jupiter.api.Test;

/** Attention forward (flash and row kernels) and backward of the TornadoVM backend against the CPU backend. */
class AttentionDeviceTest extends BothKernelFamilies {
    // batch, heads, headDim, tokens: tiny, tokens not a multiple of the tiles, 4 heads at 7x7, the largest head
    private static final int[][] SHAPES = {{1, 1, 4, 5}, {2, 2, 8, 17}, {2, 4, 32, 49}, {1, 1, 128, 20}, {3, 1, 16, 33}};
    private static final int OFF = 2;

    /** Random qkv at an offset and the CPU backend's out and probs for it. */
    private record Cpu(float[] qkv, float[] out, float[] probs) {
        static Cpu forward(Rng rng, int[] s) {
            int b = s[0];
            int h = s[1];
            int d = s[2];
            int t = s[3];
            Cpu c = new Cpu(DeviceCheck.normal(rng, OFF + 3 * b * h * d * t), new float[OFF + b * h * d * t],
                    new float[OFF + b * h * t * t]);
            Backends.cpu().qkvAttention(b, h, d, t, c.qkv(), OFF, c.out(), OFF, c.probs(), OFF);
            return c;
        }
    }

    @Test
    void forwardMatchesCpu() {
        Rng rng = new Rng(31);
        for (int[] s : SHAPES) {
            int b = s[0];
            int h = s[1];
            int d = s[2];
            int t = s[3];
            Cpu cpu = Cpu.forward(rng, s);
            float[] qkv = cpu.qkv();
            float[] out = cpu.out();
            float[] probs = cpu.probs();
            for (TornadoBackend be : both()) {
                float[] gotOut = new float[out.length];
                float[] gotProbs = new float[probs.length];
                be.qkvAttention(b, h, d, t, qkv, OFF, gotOut, OFF, gotProbs, OFF);
                String name = label(be, s);
                DeviceCheck.assertClose("qkvAttention out " + name, out, gotOut);
                DeviceCheck.assertClose("qkvAttention probs " + name, probs, gotProbs);
            }
            // inference: no probabilities asked for
            float[] gotOut = new float[out.length];
            tiled.qkvAttention(b, h, d, t, qkv, OFF, gotOut, OFF, null, 0);
            DeviceCheck.assertClose("qkvAttention out, no probs " + label(tiled, s), out, gotOut);
        }
    }

    @Test
    void backwardMatchesCpu() {
        Rng rng = new Rng(32);
        for (int[] s : SHAPES) {
            int b = s[0];
            int h = s[1];
            int d = s[2];
            int t = s[3];
            Cpu cpu = Cpu.forward(rng, s);
            float[] qkv = cpu.qkv();
            float[] out = cpu.out();
            float[] probs = cpu.probs();
            float[] dout = DeviceCheck.normal(rng, out.length);
            float[] want = new float[qkv.length];
            Backends.cpu().qkvAttentionBackward(b, h, d, t, dout, OFF, qkv, OFF, probs, OFF, want, OFF);
            float[] got = new float[qkv.length];
            parallel.qkvAttentionBackward(b, h, d, t, dout, OFF, qkv, OFF, probs, OFF, got, OFF);
            DeviceCheck.assertClose("qkvAttentionBackward " + label(parallel, s), want, got);
        }
    }

    @Test
    void flashTwinMatchesReference() {
        Rng rng = new Rng(33);
        for (int[] s : SHAPES) {
            int b = s[0];
            int h = s[1];
            int d = s[2];
            int t = s[3];
            float[] qkv = DeviceCheck.normal(rng, 3 * b * h * d * t);
            float[] want = new float[b * h * d * t];
            float[] probs = new float[b * h * t * t];
            AttentionReference.qkvForward(b, h, d, t, qkv, 0, want, 0, probs, 0);
            float[] got = new float[want.length];
            float[] lse = new float[b * h * t];
            FlashAttention.reference(qkv, got, lse, b, h, d, t, (float) (1 / Math.sqrt(d)));
            DeviceCheck.assertClose("flash twin " + label(tiled, s), want, got);
            // lse is the log of the softmax denominator: exp(score - lse) sums to 1 over each row
            assertEquals(1.0, rowSumFromLse(qkv, lse, h, d, t), 1e-5, "flash twin: softmax row from lse");
        }
    }

    /** Sum over keys of exp(q_0 . k_s / sqrt(d) - lse_0) for item 0, row 0. */
    private static double rowSumFromLse(float[] qkv, float[] lse, int heads, int d, int t) {
        int c = heads * d;
        double sum = 0;
        for (int s = 0; s < t; s++) {
            double acc = 0;
            for (int ch = 0; ch < d; ch++) {
                acc += (double) qkv[ch * t] * qkv[(c + ch) * t + s];
            }
            sum += Math.exp(acc / Math.sqrt(d) - lse[0]);
        }
        return sum;
    }

    private static String label(TornadoBackend be, int[] s) {
        return (be.tiled() ? "tiled " : "parallel ") + "B=" + s[0] + " heads=" + s[1] + " d=" + s[2] + " T=" + s[3];
    }
}
