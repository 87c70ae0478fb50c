package dev.cm4j.tensor.kernels;

/**
 * Scaled dot-product attention one row or column at a time: the plain reference for {@link Attention} and the
 * bodies a device runs (one work-item per query row in the forward pass and per query / key column in the backward
 * pass).
 *
 * <p>Layout of one (batch, head) item: q, k, v and out are (headDim, T) row-major blocks (channel c of token t at
 * {@code c*T + t}), probs is (T, T) with row t the softmax over keys s of {@code q_t . k_s / sqrt(headDim)}. In a qkv
 * tensor (B, 3C, T) with channels ordered (three, heads, headDim), item (b, h) has q at {@code (b*3C + h*d)*T},
 * k at C*T after it and v at 2C*T after it; out (B, C, T) has it at {@code (b*C + h*d)*T}.
 */
public final class AttentionReference {
    private AttentionReference() {
    }

    // q, k, v (d,T) -> out[:, t] (d), probs[t, :] (T)
    public static void forwardRow(int d, int tokens, float scale, float[] q, int qOff, float[] k, int kOff,
                                  float[] v, int vOff, float[] out, int outOff, float[] probs, int probsOff, int t) {
        int row = probsOff + t * tokens;
        for (int s = 0; s < tokens; s++) {
            float acc = 0f;
            for (int c = 0; c < d; c++) {
                acc += q[qOff + c * tokens + t] * k[kOff + c * tokens + s];
            }
            probs[row + s] = acc * scale;
        }
        SoftmaxReference.forwardRow(probs, row, probs, row, tokens);
        for (int c = 0; c < d; c++) {
            float acc = 0f;
            for (int s = 0; s < tokens; s++) {
                acc += v[vOff + c * tokens + s] * probs[row + s];
            }
            out[outOff + c * tokens + t] = acc;
        }
    }

    // dout (d,T), v (d,T), probs (T,T) -> dScores[t, :] (T); dP = dout^T v, dS = P * (dP - rowsum(dP * P))
    public static void backwardScoresRow(int d, int tokens, float[] dout, int doutOff, float[] v, int vOff,
                                         float[] probs, int probsOff, float[] dScores, int dsOff, int t) {
        int row = t * tokens;
        for (int s = 0; s < tokens; s++) {
            float acc = 0f;
            for (int c = 0; c < d; c++) {
                acc += dout[doutOff + c * tokens + t] * v[vOff + c * tokens + s];
            }
            dScores[dsOff + row + s] = acc;
        }
        SoftmaxReference.backwardRow(dScores, dsOff + row, probs, probsOff + row, dScores, dsOff + row, tokens);
    }

    // dScores (T,T), k (d,T) -> dq[:, t] (d); dq[c, t] = scale * sum_s dS[t, s] k[c, s]
    public static void backwardQueryColumn(int d, int tokens, float scale, float[] dScores, int dsOff,
                                           float[] k, int kOff, float[] dq, int dqOff, int t) {
        for (int c = 0; c < d; c++) {
            float acc = 0f;
            for (int s = 0; s < tokens; s++) {
                acc += dScores[dsOff + t * tokens + s] * k[kOff + c * tokens + s];
            }
            dq[dqOff + c * tokens + t] = acc * scale;
        }
    }

    // dScores, probs (T,T), q, dout (d,T) -> dk[:, s], dv[:, s] (d)
    public static void backwardKeyColumn(int d, int tokens, float scale, float[] dScores, int dsOff,
                                         float[] probs, int probsOff, float[] q, int qOff, float[] dout, int doutOff,
                                         float[] dk, int dkOff, float[] dv, int dvOff, int s) {
        for (int c = 0; c < d; c++) {
            float accK = 0f;
            float accV = 0f;
            for (int t = 0; t < tokens; t++) {
                accK += dScores[dsOff + t * tokens + s] * q[qOff + c * tokens + t];
                accV += probs[probsOff + t * tokens + s] * dout[doutOff + c * tokens + t];
            }
            dk[dkOff + c * tokens + s] = accK * scale;
            dv[dvOff + c * tokens + s] = accV;
        }
    }

    // qkv (B,3C,T) -> out (B,C,T), probs (B*heads,T,T)
    public static void qkvForward(int batch, int heads, int d, int tokens, float[] qkv, int qkvOff,
                                  float[] out, int outOff, float[] probs, int probsOff) {
        float scale = (float) (1 / Math.sqrt(d));
        int c = heads * d;
        BatchLoop.forEach(batch * heads, bh -> {
            int q = qkvOff + ((bh / heads) * 3 * c + (bh % heads) * d) * tokens;
            int o = outOff + ((bh / heads) * c + (bh % heads) * d) * tokens;
            for (int t = 0; t < tokens; t++) {
                forwardRow(d, tokens, scale, qkv, q, qkv, q + c * tokens, qkv, q + 2 * c * tokens, out, o,
                        probs, probsOff + bh * tokens * tokens, t);
            }
        });
    }

    // dout (B,C,T), qkv (B,3C,T), probs (B*heads,T,T) -> dqkv (B,3C,T)
    public static void qkvBackward(int batch, int heads, int d, int tokens, float[] dout, int doutOff,
                                   float[] qkv, int qkvOff, float[] probs, int probsOff, float[] dqkv, int dqkvOff) {
        float scale = (float) (1 / Math.sqrt(d));
        int c = heads * d;
        BatchLoop.forEach(batch * heads, bh -> {
            int item = ((bh / heads) * 3 * c + (bh % heads) * d) * tokens;
            int q = qkvOff + item;
            int dq = dqkvOff + item;
            int o = doutOff + ((bh / heads) * c + (bh % heads) * d) * tokens;
            int p = probsOff + bh * tokens * tokens;
            float[] dScores = BatchLoop.scratch(1, tokens * tokens);
            for (int t = 0; t < tokens; t++) {
                backwardScoresRow(d, tokens, dout, o, qkv, q + 2 * c * tokens, probs, p, dScores, 0, t);
            }
            for (int t = 0; t < tokens; t++) {
                backwardQueryColumn(d, tokens, scale, dScores, 0, qkv, q + c * tokens, dqkv, dq, t);
            }
            for (int s = 0; s < tokens; s++) {
                backwardKeyColumn(d, tokens, scale, dScores, 0, probs, p, qkv, q, dout, o,
                        dqkv, dq + c * tokens, dqkv, dq + 2 * c * tokens, s);
            }
        });
    }
}
