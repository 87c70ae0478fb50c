package dev.cm4j.tensor.kernels;

import static dev.cm4j.tensor.kernels.NNReference.toDouble;

import org.junit.jupiter.api.Test;

/** The GEMM attention ({@link Attention}) and the row bodies ({@link AttentionReference}) against the double reference. */
class AttentionTest {
    /** (batch, heads, headDim, tokens) */
    private static final int[][] SHAPES = {
            {2, 1, 8, 17}, {1, 4, 3, 7}, {3, 2, 5, 49}, {1, 1, 1, 1}, {2, 4, 16, 9}, {1, 2, 32, 33}};

    interface Forward {
        void apply(int batch, int heads, int d, int tokens, float[] qkv, int qkvOff, float[] out, int outOff,
                   float[] probs, int probsOff);
    }

    interface Backward {
        void apply(int batch, int heads, int d, int tokens, float[] dout, int doutOff, float[] qkv, int qkvOff,
                   float[] probs, int probsOff, float[] dqkv, int dqkvOff);
    }

    private void check(String name, Forward fwd, Backward bwd) {
        for (int[] sh : SHAPES) {
            int b = sh[0];
            int heads = sh[1];
            int d = sh[2];
            int t = sh[3];
            int c = heads * d;
            String what = name + " B=" + b + " heads=" + heads + " d=" + d + " T=" + t;
            float[] qkv = Close.randn(1, b * 3 * c * t + 1);
            double[] qkvD = toDouble(java.util.Arrays.copyOfRange(qkv, 1, qkv.length));
            float[] dout = Close.randn(2, b * c * t);
            double[][] ref = NNReference.qkvAttention(b, heads, d, t, qkvD);
            float[] out = new float[b * c * t + 2];
            float[] probs = new float[b * heads * t * t + 3];
            java.util.Arrays.fill(out, Float.NaN);
            fwd.apply(b, heads, d, t, qkv, 1, out, 2, probs, 3);
            Close.assertClose(what + " out", ref[0], out, 2, 1e-5);
            Close.assertClose(what + " probs", ref[1], probs, 3, 1e-6);
            float[] dqkv = new float[b * 3 * c * t + 1];
            java.util.Arrays.fill(dqkv, Float.NaN);
            bwd.apply(b, heads, d, t, dout, 0, qkv, 1, probs, 3, dqkv, 1);
            double[] expected = NNReference.qkvAttentionBackward(b, heads, d, t, toDouble(dout), qkvD);
            Close.assertClose(what + " dqkv", expected, dqkv, 1, 1e-5);
        }
    }

    @Test
    void gemmAttention() {
        check("Attention", Attention::qkvForward, Attention::qkvBackward);
    }

    @Test
    void rowBodies() {
        check("AttentionReference", AttentionReference::qkvForward, AttentionReference::qkvBackward);
    }
}
