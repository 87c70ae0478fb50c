package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;
import dev.cm4j.tensor.kernels.AdamUpdate;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link Adam}, AdamW and {@link RAdam} share: the two moments (slots exp_avg, exp_avg_sq), the betas, eps and
 * weight decay, and the element loop. They differ only in the scalars of the final step, which each one's
 * {@code prepare} works out once per step:
 * <pre>
 *   p = p decay;  g = g + l2 p
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   adaptive: p = p - scale m / (sqrt(v) vScale + eps)        otherwise: p = p - scale m
 * </pre>
 * With decay = 1 and vScale = 1 the multiplications are exact, so each optimizer's arithmetic is the one its own rule
 * writes down.
 */
public abstract class AdamFamily extends Optimizer {
    /** beta1: decay of the first moment. */
    protected final double beta1;
    /** beta2: decay of the second moment. */
    protected final double beta2;
    /** Added to the square root of the second moment. */
    protected final double eps;
    /** Weight decay (an L2 term, or decoupled in AdamW). */
    protected final double weightDecay;

    AdamFamily(Map<String, Var> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr, "exp_avg", "exp_avg_sq");
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps >= 0 && weightDecay >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": betas (" + beta1 + ", " + beta2
                    + "), eps " + eps + ", weight decay " + weightDecay + " out of range");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    @Override
    public Map<String, Double> settings() {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("beta1", beta1);
        s.put("beta2", beta2);
        s.put("eps", eps);
        s.put("weight_decay", weightDecay);
        return s;
    }

    /**
     * The update over the slots (exp_avg, exp_avg_sq) with one step's scalars (see the class comment): the
     * {@link AdamUpdate} kernel, whose Vector API and plain loops give the same bits.
     */
    static Update update(float b1, float b2, float decay, float l2, float scale, float vScale, float eps,
                         boolean adaptive) {
        return (pd, po, gd, go, s, i0, i1) -> {
            Tensor mt = s[0], vt = s[1];
            AdamUpdate.apply(b1, b2, decay, l2, scale, vScale, eps, adaptive, pd, po + i0, gd, go + i0, mt.data(),
                    mt.offset() + i0, vt.data(), vt.offset() + i0, i1 - i0);
        };
    }
}
