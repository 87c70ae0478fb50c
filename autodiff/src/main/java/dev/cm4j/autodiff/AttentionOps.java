package dev.cm4j.autodiff;

import dev.cm4j.tensor.NN;
import dev.cm4j.tensor.Tensor;

/** The multi-head attention core of the ADM/consistency-models U-Net. */
public final class AttentionOps {
    private AttentionOps() {
    }

    /**
     * qkv (B, 3C, T), channels ordered (three, heads, headDim) as in openai/consistency_models' {@code QKVAttention}
     * -> out (B, C, T) = per head softmax(q^T k / sqrt(headDim)) applied to v. The forward keeps the attention
     * probabilities (B*heads, T, T) for the backward.
     */
    public static Var qkvAttention(Var qkv, int heads) {
        Tensor qkvValue = qkv.value();
        NN.AttentionResult r = NN.qkvAttention(qkvValue, heads);
        Tensor probs = r.probs();
        return Var.result("qkvAttention", r.out(),
                g -> qkv.accumulateGrad(NN.qkvAttentionBackward(g, qkvValue, probs, heads)), qkv);
    }
}
