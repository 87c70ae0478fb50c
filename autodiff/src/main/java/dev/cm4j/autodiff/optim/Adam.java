package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.Var;

import java.util.Map;

/**
 * Adam (Kingma and Ba 2015, Algorithm 1) in the form of PyTorch's {@code torch.optim.Adam} and, with
 * {@code decoupled}, AdamW (Loshchilov and Hutter 2019):
 * <pre>
 *   AdamW: p = p (1 - lr wd)          Adam: g = g + wd p
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   p = p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * </pre>
 */
public final class Adam extends AdamFamily {
    private final boolean decoupled;

    /** Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(Map<String, Var> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** AdamW with betas (0.9, 0.999), eps 1e-8 and decoupled weight decay {@code weightDecay}. */
    public static Adam adamW(Map<String, Var> params, double lr, double weightDecay) {
        return new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay, true);
    }

    /**
     * Adam ({@code decoupled} false: weight decay as an L2 term added to the gradient) or AdamW ({@code decoupled}
     * true: the parameters shrink by lr * weightDecay before the step), eps added to the bias-corrected sqrt(v).
     */
    public Adam(Map<String, Var> params, double lr, double beta1, double beta2, double eps, double weightDecay,
                boolean decoupled) {
        super(params, lr, beta1, beta2, eps, weightDecay);
        this.decoupled = decoupled;
    }

    @Override
    public Map<String, Double> settings() {
        Map<String, Double> s = super.settings();
        s.put("decoupled_weight_decay", decoupled ? 1.0 : 0.0);
        return s;
    }

    @Override
    protected Update prepare(long t, double lr) {
        // (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), PyTorch's order: eps joins the bias-corrected sqrt(v)
        float stepSize = (float) (lr / (1 - Math.pow(beta1, t)));
        float invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(beta2, t)));
        float decay = decoupled ? (float) (1 - lr * weightDecay) : 1f;
        float l2 = decoupled ? 0f : (float) weightDecay;
        return update((float) beta1, (float) beta2, decay, l2, stepSize, invSqrtBc2, (float) eps, true);
    }
}
