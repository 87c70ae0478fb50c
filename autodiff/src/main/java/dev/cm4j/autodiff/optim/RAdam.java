package dev.cm4j.autodiff.optim;

import dev.cm4j.autodiff.Var;
import dev.cm4j.tensor.Tensor;

import java.util.Map;

/**
 * Rectified Adam (Liu et al. 2020, Algorithm 2) in the form of PyTorch's {@code torch.optim.RAdam}, the optimizer of
 * the ADM/consistency-models teachers and of ECT:
 * <pre>
 *   g = g + wd p
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  m^ = m / (1 - b1^t)
 *   rho_inf = 2 / (1 - b2) - 1;  rho_t = rho_inf - 2 t b2^t / (1 - b2^t)
 *   rho_t > 5: r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *              p = p - lr m^ r sqrt(1 - b2^t) / (sqrt(v) + eps)
 *   else:      p = p - lr m^          (un-adapted momentum SGD while the variance estimate is unreliable)
 * </pre>
 */
public final class RAdam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final float eps;
    private final float weightDecay;

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public RAdam(Map<String, Var> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0);
    }

    public RAdam(Map<String, Var> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr, "exp_avg", "exp_avg_sq");
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps >= 0 && weightDecay >= 0)) {
            throw new IllegalArgumentException("RAdam: betas (" + beta1 + ", " + beta2 + "), eps " + eps
                    + ", weight decay " + weightDecay + " out of range");
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = (float) eps;
        this.weightDecay = (float) weightDecay;
    }

    /** The variance rectification term r_t, or NaN while rho_t <= 5 (no adaptive step yet). */
    public static double rectification(double beta2, long t) {
        double rhoInf = 2 / (1 - beta2) - 1;
        double b2t = Math.pow(beta2, t);
        double rhoT = rhoInf - 2 * t * b2t / (1 - b2t);
        if (rhoT <= 5) {
            return Double.NaN;
        }
        return Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
    }

    @Override
    protected Update prepare(long t, double lr) {
        float b1 = (float) beta1, b2 = (float) beta2;
        double bc1 = 1 - Math.pow(beta1, t);
        double r = rectification(beta2, t);
        boolean adaptive = !Double.isNaN(r);
        // lr m^ r sqrt(1 - b2^t) / (sqrt(v) + eps) = (lr r sqrt(bc2) / bc1) m / (sqrt(v) + eps)
        float scale = adaptive ? (float) (lr * r * Math.sqrt(1 - Math.pow(beta2, t)) / bc1) : (float) (lr / bc1);
        float wd = weightDecay;
        return (pd, po, gd, go, s, i0, i1) -> {
            Tensor mt = s[0], vt = s[1];
            float[] m = mt.data(), v = vt.data();
            int mo = mt.offset(), vo = vt.offset();
            for (int i = i0; i < i1; i++) {
                float p = pd[po + i];
                float g = gd[go + i] + wd * p;
                float mi = b1 * m[mo + i] + (1f - b1) * g;
                float vi = b2 * v[vo + i] + (1f - b2) * g * g;
                m[mo + i] = mi;
                v[vo + i] = vi;
                pd[po + i] = adaptive ? p - scale * mi / ((float) Math.sqrt(vi) + eps) : p - scale * mi;
            }
        };
    }
}
