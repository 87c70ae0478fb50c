package dev.cm4j.tornado;

import dev.cm4j.tensor.kernels.AttentionReference;
import uk.ac.manchester.tornado.api.annotations.Parallel;

/**
 * {@code @Parallel} task shells over the attention bodies of {@link AttentionReference}, one work-item per (batch,
 * head, token). Layouts as there: qkv (B, 3C, T) with channels (three, heads, headDim), out and dout (B, C, T),
 * probs and dScores (B*heads, T, T); item bh = b*heads + h has q at {@code (b*3C + h*d)*T}, k C*T and v 2C*T after it.
 */
public final class AttentionShells {
    private AttentionShells() {
    }

    // qkv (B,3C,T) -> out (B,C,T), probs (B*heads,T,T); one work-item per query row
    public static void forward(float[] qkv, float[] out, float[] probs, int batch, int heads, int d, int tokens,
                               float scale) {
        for (@Parallel int bh = 0; bh < batch * heads; bh++) {
            for (@Parallel int t = 0; t < tokens; t++) {
                int q = qOffset(bh, heads, d, tokens);
                int kv = heads * d * tokens;             // k sits C*T after q, v 2C*T after it
                AttentionReference.forwardRow(d, tokens, scale, qkv, q, qkv, q + kv, qkv, q + 2 * kv,
                        out, outOffset(bh, d, tokens), probs, bh * tokens * tokens, t);
            }
        }
    }

    // dout (B,C,T), qkv (B,3C,T), probs (B*heads,T,T) -> dScores (B*heads,T,T); dS = P * (dP - rowsum(dP * P))
    public static void backwardScores(float[] dout, float[] qkv, float[] probs, float[] dScores,
                                      int batch, int heads, int d, int tokens) {
        for (@Parallel int bh = 0; bh < batch * heads; bh++) {
            for (@Parallel int t = 0; t < tokens; t++) {
                int v = qOffset(bh, heads, d, tokens) + 2 * heads * d * tokens;
                AttentionReference.backwardScoresRow(d, tokens, dout, outOffset(bh, d, tokens), qkv, v,
                        probs, bh * tokens * tokens, dScores, bh * tokens * tokens, t);
            }
        }
    }

    // dScores (B*heads,T,T), qkv (B,3C,T) -> dq part of dqkv; one work-item per query column
    public static void backwardQuery(float[] dScores, float[] qkv, float[] dqkv, int batch, int heads, int d,
                                     int tokens, float scale) {
        for (@Parallel int bh = 0; bh < batch * heads; bh++) {
            for (@Parallel int t = 0; t < tokens; t++) {
                int q = qOffset(bh, heads, d, tokens);
                AttentionReference.backwardQueryColumn(d, tokens, scale, dScores,
                        bh * tokens * tokens, qkv, q + heads * d * tokens, dqkv, q, t);
            }
        }
    }

    // dScores, probs (B*heads,T,T), qkv, dout -> dk and dv parts of dqkv; one work-item per key column
    public static void backwardKeyValue(float[] dScores, float[] probs, float[] qkv, float[] dout, float[] dqkv,
                                        int batch, int heads, int d, int tokens, float scale) {
        for (@Parallel int bh = 0; bh < batch * heads; bh++) {
            for (@Parallel int s = 0; s < tokens; s++) {
                int q = qOffset(bh, heads, d, tokens);
                int kv = heads * d * tokens;
                AttentionReference.backwardKeyColumn(d, tokens, scale, dScores,
                        bh * tokens * tokens, probs, bh * tokens * tokens, qkv, q, dout, outOffset(bh, d, tokens),
                        dqkv, q + kv, dqkv, q + 2 * kv, s);
            }
        }
    }

    /** Offset of item bh's q block in qkv (B, 3C, T): {@code (b*3C + h*d)*T} with b = bh / heads, h = bh % heads. */
    static int qOffset(int bh, int heads, int d, int tokens) {
        int b = bh / heads;
        return (b * 3 * heads * d + (bh - b * heads) * d) * tokens;
    }

    /** Offset of item bh's block in out (B, C, T): {@code (b*C + h*d)*T}, which is simply bh*d*T. */
    static int outOffset(int bh, int d, int tokens) {
        return bh * d * tokens;
    }
}
