package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;

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
public final class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final float eps;
    private final float weightDecay;
    private final boolean decoupled;

    /** Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(Map<String, Var> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0, false);
    }

    /** AdamW with betas (0.9, 0.999), eps 1e-8 and decoupled weight decay {@code weightDecay}. */
    public static Adam adamW(Map<String, Var> params, double lr, double weightDecay) {
        return new Adam(params, lr, 0.9, 0.999, 1e-8, weightDecay, true);
    }

    public Adam(Map<String, Var> params, double lr, double beta1, double beta2, double eps, double weightDecay,
                boolean decoupled) {
        super(params, lr, "exp_avg", "exp_avg_sq");
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps >= 0 && weightDecay >= 0)) {
            throw new IllegalArgumentException("Adam: betas (" + beta1 + ", " + beta2 + "), eps " + eps
                    + ", weight decay " + weightDecay + " out of range");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = (float) eps;
        this.weightDecay = (float) weightDecay;
        this.decoupled = decoupled;
    }

    @Override
    protected Update prepare(long t, double lr) {
        float b1 = (float) beta1, b2 = (float) beta2;
        float stepSize = (float) (lr / (1 - Math.pow(beta1, t)));
        float invSqrtBc2 = (float) (1 / Math.sqrt(1 - Math.pow(beta2, t)));
        float decay = decoupled ? (float) (1 - lr * weightDecay) : 1f;
        float l2 = decoupled ? 0f : weightDecay;
        return (pd, po, gd, go, s, i0, i1) -> {
            Tensor mt = s[0], vt = s[1];
            float[] m = mt.data(), v = vt.data();
            int mo = mt.offset(), vo = vt.offset();
            for (int i = i0; i < i1; i++) {
                float p = pd[po + i] * decay;
                float g = gd[go + i] + l2 * p;
                float mi = b1 * m[mo + i] + (1f - b1) * g;
                float vi = b2 * v[vo + i] + (1f - b2) * g * g;
                m[mo + i] = mi;
                v[vo + i] = vi;
                pd[po + i] = p - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
            }
        };
    }
}
