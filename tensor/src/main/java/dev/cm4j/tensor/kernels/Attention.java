package dev.cm4j.tensor.kernels;

/**
 * Multi-head scaled dot-product attention over a fused qkv tensor, as matrix products: per (batch, head) item
 * S = q^T k / sqrt(d) (one GEMM), P = row softmax(S), out = v P^T (one GEMM); the backward pass takes four GEMMs
 * and the softmax Jacobian dS = P * (dP - rowsum(dP * P)).
 *
 * <p>Layout as in {@link AttentionReference} (the row-at-a-time twin these are tested against): qkv (B, 3C, T) with
 * channels ordered (three, heads, headDim), out (B, C, T) with channel {@code head*headDim + c}, probs
 * (B*heads, T, T). Items run in parallel ({@link BatchLoop#forEach}); each is computed by one thread in a fixed order.
 */
public final class Attention {
    private Attention() {
    }

    // qkv (B,3C,T) -> out (B,C,T), probs (B*heads,T,T)
    public static void qkvForward(int batch, int heads, int d, int tokens, float[] qkv, int qkvOff,
                                  float[] out, int outOff, float[] probs, int probsOff) {
        float scale = (float) (1 / Math.sqrt(d));
        int c = heads * d;
        int tt = tokens * tokens;
        BatchLoop.forEach(batch * heads, bh -> {
            int q = qkvOff + ((bh / heads) * 3 * c + (bh % heads) * d) * tokens;
            int k = q + c * tokens;
            int v = q + 2 * c * tokens;
            int p = probsOff + bh * tt;
            // S (T,T) = scale * q^T (T,d) k (d,T)
            Gemm.sgemm(true, false, tokens, tokens, d, scale, qkv, q, tokens, qkv, k, tokens, 0f, probs, p, tokens);
            Softmax.forward(tokens, tokens, probs, p, probs, p);
            // out (d,T) = v (d,T) P^T (T,T)
            int o = outOff + ((bh / heads) * c + (bh % heads) * d) * tokens;
            Gemm.sgemm(false, true, d, tokens, tokens, 1f, qkv, v, tokens, probs, p, tokens, 0f, out, o, tokens);
        });
    }

    // dout (B,C,T), qkv (B,3C,T), probs (B*heads,T,T) -> dqkv (B,3C,T)
    public static void qkvBackward(int batch, int heads, int d, int tokens, float[] dout, int doutOff,
                                   float[] qkv, int qkvOff, float[] probs, int probsOff, float[] dqkv, int dqkvOff) {
        float scale = (float) (1 / Math.sqrt(d));
        int c = heads * d;
        int tt = tokens * tokens;
        BatchLoop.forEach(batch * heads, bh -> {
            int item = ((bh / heads) * 3 * c + (bh % heads) * d) * tokens;
            int q = qkvOff + item;
            int k = q + c * tokens;
            int v = q + 2 * c * tokens;
            int dq = dqkvOff + item;
            int dk = dq + c * tokens;
            int dv = dq + 2 * c * tokens;
            int o = doutOff + ((bh / heads) * c + (bh % heads) * d) * tokens;
            int p = probsOff + bh * tt;
            float[] ds = BatchLoop.scratch(1, tt);
            // dv (d,T) = dout (d,T) P (T,T)
            Gemm.sgemm(false, false, d, tokens, tokens, 1f, dout, o, tokens, probs, p, tokens, 0f, dqkv, dv, tokens);
            // dP (T,T) = dout^T (T,d) v (d,T), then dS = P * (dP - rowsum(dP * P)) in place
            Gemm.sgemm(true, false, tokens, tokens, d, 1f, dout, o, tokens, qkv, v, tokens, 0f, ds, 0, tokens);
            Softmax.backward(tokens, tokens, ds, 0, probs, p, ds, 0);
            // dq (d,T) = scale * k (d,T) dS^T;  dk (d,T) = scale * q (d,T) dS
            Gemm.sgemm(false, true, d, tokens, tokens, scale, qkv, k, tokens, ds, 0, tokens, 0f, dqkv, dq, tokens);
            Gemm.sgemm(false, false, d, tokens, tokens, scale, qkv, q, tokens, ds, 0, tokens, 0f, dqkv, dk, tokens);
        });
    }
}
